package bqloader

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"cloud.google.com/go/bigquery"
	"google.golang.org/api/googleapi"
)

// EnsureTables makes the dataset hold what the loader and the analysts
// need, and returns the schema of the raw table as it now is:
//
//   - the dataset, created in location when missing;
//   - the raw table, created with schema when missing, partitioned by day
//     on night and clustered by objectId and candid;
//   - every column of schema that the raw table lacks, added (an additive
//     update: a newer ZTF schema version brought fields, or --cutouts was
//     turned on). Columns are never dropped or changed; a column whose
//     type differs is an error that needs a human;
//   - the views of ViewFiles, created or replaced.
//
// It is idempotent and safe to run from several loaders at once.
func EnsureTables(ctx context.Context, client *bigquery.Client, dataset, location string, schema bigquery.Schema) (bigquery.Schema, error) {
	ds := client.Dataset(dataset)
	if _, err := ds.Metadata(ctx); isNotFound(err) {
		err = ds.Create(ctx, &bigquery.DatasetMetadata{
			Location:    location,
			Description: "ZTF alerts streamed by ztfbridge load",
		})
		if err != nil && !isAlreadyExists(err) {
			return nil, fmt.Errorf("create dataset %s: %w", dataset, err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("dataset %s: %w", dataset, err)
	}
	have, err := ensureRawTable(ctx, ds.Table(RawTable), schema)
	if err != nil {
		return nil, err
	}
	stmts, err := ViewSQL(client.Project(), dataset)
	if err != nil {
		return nil, err
	}
	for i, sql := range stmts {
		err := runStatement(ctx, client, sql)
		if isAlreadyExists(err) {
			// BigQuery replaces the view; the emulator refuses to and
			// keeps the one it has, made from the same file.
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ViewFiles[i], err)
		}
	}
	return have, nil
}

// CheckTables returns the schema of the raw table of dataset, which
// Terraform owns in production, after checking that it has every column of
// schema: a loader newer than its table would otherwise refuse every row.
// It creates and changes nothing (EnsureTables does).
func CheckTables(ctx context.Context, client *bigquery.Client, dataset string, schema bigquery.Schema) (bigquery.Schema, error) {
	md, err := client.Dataset(dataset).Table(RawTable).Metadata(ctx)
	if err != nil {
		return nil, fmt.Errorf("table %s.%s (terraform apply creates it; --create-resources makes the loader do it): %w", dataset, RawTable, err)
	}
	_, missing, err := mergeSchema(md.Schema, schema)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", RawTable, err)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("table %s.%s lacks the columns %s: terraform apply adds them (terraform/schema/alerts.json), or run the loader once with --create-resources",
			dataset, RawTable, strings.Join(missing, ", "))
	}
	return md.Schema, nil
}

// ensureRawTable creates t or adds the columns it lacks, and returns its
// schema. A concurrent update by another loader (the ETag changed) is
// retried on the new metadata.
func ensureRawTable(ctx context.Context, t *bigquery.Table, schema bigquery.Schema) (bigquery.Schema, error) {
	for attempt := 0; ; attempt++ {
		md, err := t.Metadata(ctx)
		if isNotFound(err) {
			err = t.Create(ctx, &bigquery.TableMetadata{
				Schema:           schema,
				TimePartitioning: &bigquery.TimePartitioning{Type: bigquery.DayPartitioningType, Field: "night"},
				Clustering:       &bigquery.Clustering{Fields: []string{"objectId", "candid"}},
				Description:      "Every alert row the loader wrote; a candid may appear more than once. Query the alerts view.",
			})
			if err == nil {
				return schema, nil
			}
			if isAlreadyExists(err) && attempt < 3 {
				continue
			}
			return nil, fmt.Errorf("create table %s: %w", t.TableID, err)
		}
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", t.TableID, err)
		}
		merged, added, err := mergeSchema(md.Schema, schema)
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", t.TableID, err)
		}
		if len(added) == 0 {
			return md.Schema, nil
		}
		md, err = t.Update(ctx, bigquery.TableMetadataToUpdate{Schema: merged}, md.ETag)
		if isPreconditionFailed(err) && attempt < 3 {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("add columns %s to table %s: %w", strings.Join(added, ", "), t.TableID, err)
		}
		return md.Schema, nil
	}
}

// mergeSchema returns have with the fields of want that it lacks appended,
// at every level of nesting, and the dotted names of those fields. Names
// compare case-insensitively, as BigQuery's do. It fails when a field of
// both differs in type or repetition, or when a new field is REQUIRED
// (BigQuery cannot add one to a table that has rows).
func mergeSchema(have, want bigquery.Schema) (bigquery.Schema, []string, error) {
	return mergeFields("", have, want)
}

func mergeFields(prefix string, have, want bigquery.Schema) (bigquery.Schema, []string, error) {
	byName := make(map[string]*bigquery.FieldSchema, len(have))
	for _, f := range have {
		byName[strings.ToLower(f.Name)] = f
	}
	var newFields bigquery.Schema
	var added []string
	changed := make(map[string]*bigquery.FieldSchema)
	for _, w := range want {
		name := prefix + w.Name
		h, ok := byName[strings.ToLower(w.Name)]
		if !ok {
			if w.Required {
				return nil, nil, fmt.Errorf("new column %s is REQUIRED: only NULLABLE or REPEATED columns can be added", name)
			}
			newFields = append(newFields, w)
			added = append(added, name)
			continue
		}
		if h.Type != w.Type || h.Repeated != w.Repeated {
			return nil, nil, fmt.Errorf("column %s is %s in the table and %s in ztfbridge's schema: that is not an additive change, migrate the table", name, describeField(h), describeField(w))
		}
		if h.Type != bigquery.RecordFieldType {
			continue
		}
		sub, subAdded, err := mergeFields(name+".", h.Schema, w.Schema)
		if err != nil {
			return nil, nil, err
		}
		if len(subAdded) > 0 {
			c := *h
			c.Schema = sub
			changed[strings.ToLower(h.Name)] = &c
			added = append(added, subAdded...)
		}
	}
	merged := make(bigquery.Schema, 0, len(have)+len(newFields))
	for _, h := range have {
		if c, ok := changed[strings.ToLower(h.Name)]; ok {
			h = c
		}
		merged = append(merged, h)
	}
	return append(merged, newFields...), added, nil
}

func describeField(f *bigquery.FieldSchema) string {
	if f.Repeated {
		return "REPEATED " + string(f.Type)
	}
	return string(f.Type)
}

// runStatement runs one DDL or DML statement and waits for it.
func runStatement(ctx context.Context, client *bigquery.Client, sql string) error {
	job, err := client.Query(sql).Run(ctx)
	if err != nil {
		return err
	}
	status, err := job.Wait(ctx)
	if err != nil {
		return err
	}
	return status.Err()
}

func isNotFound(err error) bool { return httpStatus(err) == http.StatusNotFound }

func isAlreadyExists(err error) bool { return httpStatus(err) == http.StatusConflict }

func isPreconditionFailed(err error) bool { return httpStatus(err) == http.StatusPreconditionFailed }

func httpStatus(err error) int {
	var e *googleapi.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}
