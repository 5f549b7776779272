package connector_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/ztfbridge/ztfbridge/connector"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/dev/synth"
)

// selfSigned returns a TLS certificate for 127.0.0.1 and its PEM file.
func selfSigned(t *testing.T) (tls.Certificate, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kfake"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, file
}

// TestTLSAndSASL runs the connector against a Kafka that takes only TLS
// connections authenticated with each SASL mechanism. stack.StartKafka has
// no security options (ZTF's public stream uses none), so this test starts
// its own kfake cluster with them.
func TestTLSAndSASL(t *testing.T) {
	cert, caFile := selfSigned(t)
	const user, password = "alice", "s3cret-passw0rd"
	cluster, err := kfake.NewCluster(
		kfake.EnableSASL(),
		kfake.Superuser("PLAIN", user, password),
		kfake.Superuser("SCRAM-SHA-256", user, password),
		kfake.Superuser("SCRAM-SHA-512", user, password),
		kfake.TLS(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}),
	)
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	passwordFile := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(passwordFile, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	d := night.Of(time.Date(2024, 11, 5, 0, 0, 0, 0, time.UTC))
	tests := []struct {
		name         string
		mechanism    string
		password     string
		passwordFile string
		wantErr      bool
	}{
		{name: "PLAIN", mechanism: "PLAIN", password: password},
		{name: "SCRAM-SHA-256 from a password file", mechanism: "SCRAM-SHA-256", passwordFile: passwordFile},
		{name: "SCRAM-SHA-512", mechanism: "SCRAM-SHA-512", password: password},
		{name: "wrong password", mechanism: "SCRAM-SHA-512", password: "wrong-password", wantErr: true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBridge(t)
			cfg := b.cfg
			cfg.Brokers = cluster.ListenAddrs()
			cfg.TLS, cfg.TLSCAFile = true, caFile
			cfg.SASLMechanism, cfg.SASLUser = tt.mechanism, user
			cfg.SASLPassword, cfg.SASLPasswordFile = tt.password, tt.passwordFile
			cfg.KafkaTopic = d.AddDays(i).Topic()

			if tt.wantErr {
				_, err := connector.New(t.Context(), cfg, b.opts...)
				if err == nil {
					t.Fatal("New connected with a wrong password")
				}
				if strings.Contains(err.Error(), tt.password) || strings.Contains(b.logs.String(), tt.password) {
					t.Errorf("the password shows in the error or the logs: %v", err)
				}
				return
			}

			packets := nightPackets(t, d.AddDays(i), 20, uint64(20+i))
			produceSecure(t, cfg, synth.Data(packets))
			_, stop := b.run(cfg)
			b.alerts.waitCandids(t, packets, time.Minute)
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(b.logs.String(), password) {
				t.Error("the password shows in the logs")
			}
		})
	}
}

// produceSecure writes packets to cfg.KafkaTopic with the connector's own Kafka
// settings (TLS, SASL).
func produceSecure(t *testing.T, cfg connector.Config, packets [][]byte) {
	t.Helper()
	sc, err := cfg.SaramaConfig()
	if err != nil {
		t.Fatal(err)
	}
	sc.Producer.Return.Successes = true
	admin, err := sarama.NewClusterAdmin(cfg.Brokers, sc)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if err := admin.CreateTopic(cfg.KafkaTopic, &sarama.TopicDetail{NumPartitions: 2, ReplicationFactor: 1}, false); err != nil {
		t.Fatal(err)
	}
	p, err := sarama.NewSyncProducer(cfg.Brokers, sc)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, b := range packets {
		if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: cfg.KafkaTopic, Value: sarama.ByteEncoder(b)}); err != nil {
			t.Fatal(err)
		}
	}
}
