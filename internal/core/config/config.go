// Package config binds every command-line flag of ztfbridge to an
// environment variable, so each knob can be set either way: on a laptop with
// flags, on a VM or in Cloud Run with the environment.
//
// A flag named batch-size is read from ZTFBRIDGE_BATCH_SIZE. The command line
// wins over the environment, which wins over the flag's default.
package config

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

// EnvPrefix starts the name of every environment variable ztfbridge reads.
const EnvPrefix = "ZTFBRIDGE_"

// EnvName returns the environment variable that sets the named flag.
func EnvName(flagName string) string {
	return EnvPrefix + strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(flagName))
}

// Parse sets the flags of fs from the process environment and then parses
// args. It installs a usage message that names each flag's variable.
func Parse(fs *flag.FlagSet, args []string) error {
	return ParseEnv(fs, args, os.LookupEnv)
}

// ParseEnv is Parse with the environment read through lookup.
func ParseEnv(fs *flag.FlagSet, args []string, lookup func(string) (string, bool)) error {
	SetUsage(fs)
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		v, ok := lookup(EnvName(f.Name))
		if !ok || err != nil {
			return
		}
		if serr := fs.Set(f.Name, v); serr != nil {
			err = fmt.Errorf("%s=%q: %w", EnvName(f.Name), v, serr)
		}
	})
	if err != nil {
		return err
	}
	return fs.Parse(args)
}

// SetUsage makes fs print its flags with the environment variable of each.
// Usage text set earlier on fs is printed first.
func SetUsage(fs *flag.FlagSet) {
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage of %s:\n", fs.Name())
		fs.VisitAll(func(f *flag.Flag) {
			name, usage := flag.UnquoteUsage(f)
			fmt.Fprintf(w, "  --%s", f.Name)
			if name != "" {
				fmt.Fprintf(w, " %s", name)
			}
			fmt.Fprintf(w, "\t[$%s]\n    \t%s", EnvName(f.Name), strings.ReplaceAll(usage, "\n", "\n    \t"))
			if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" {
				fmt.Fprintf(w, " (default %s)", f.DefValue)
			}
			fmt.Fprintln(w)
		})
	}
}

// List is a comma-separated flag value writing into *dst: "a, b,,c" sets
// [a b c], and setting it replaces the default.
func List(dst *[]string) flag.Value { return listValue{dst} }

type listValue struct{ dst *[]string }

func (f listValue) String() string {
	if f.dst == nil {
		return ""
	}
	return strings.Join(*f.dst, ",")
}

func (f listValue) Set(s string) error {
	var l []string
	for v := range strings.SplitSeq(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			l = append(l, v)
		}
	}
	*f.dst = l
	return nil
}
