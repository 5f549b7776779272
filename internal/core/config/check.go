package config

import (
	"errors"
	"flag"
	"fmt"
	"reflect"
)

// A FieldError is one setting of a Config that cannot work, in the
// Config's own terms: Field is the Go name of the field ("BatchRows",
// "Stages.Bucket" for a field of a nested Config) and Problem says what is
// wrong in words that follow the name. Make one with Errorf, whose Ref
// arguments name other fields, so that InFlags and InEnv can put the
// whole message in the terms of a command line or an environment.
type FieldError struct {
	Field   string
	Problem string

	format string // of Problem, with args
	args   []any
}

// Errorf returns the FieldError of field, its problem formatted as by
// fmt.Sprintf. An argument of type Ref names another field.
func Errorf(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Problem: fmt.Sprintf(format, args...), format: format, args: args}
}

// Ref is a field named in a problem (an argument of Errorf or Check.Fail).
type Ref string

func (e *FieldError) Error() string { return e.Field + " " + e.Problem }

// renamed returns e with every field it names, its own and its Refs,
// passed through name.
func (e *FieldError) renamed(name func(field string) string) *FieldError {
	args := make([]any, len(e.args))
	for i, a := range e.args {
		if r, ok := a.(Ref); ok {
			a = Ref(name(string(r)))
		}
		args[i] = a
	}
	r := Errorf(name(e.Field), e.format, args...)
	if e.format == "" { // not made by Errorf
		r.Problem = e.Problem
	}
	return r
}

// Check gathers the problems of a Config's Validate; the zero value is
// ready. Its Err joins them all, so that one run reports every setting
// that cannot work.
//
//	var c config.Check
//	if cfg.BatchRows < 1 {
//		c.Fail("BatchRows", "must be at least 1, not %d", cfg.BatchRows)
//	}
//	return c.Err()
type Check struct{ errs []error }

// Fail records that field cannot work, with the problem formatted as by
// Errorf: Ref arguments name other fields.
func (c *Check) Fail(field, format string, args ...any) {
	c.errs = append(c.errs, Errorf(field, format, args...))
}

// Require records that field is required when value is empty.
func (c *Check) Require(field, value string) {
	if value == "" {
		c.Fail(field, "is required")
	}
}

// Positive records that field must be positive when v is not.
func (c *Check) Positive(field string, v int64) {
	if v <= 0 {
		c.Fail(field, "must be positive")
	}
}

// Nest records the problems of err, the Validate of the Config held in
// the field named prefix: its FieldErrors (and their Refs) are renamed
// prefix.Field; other
// errors are kept as they are. An empty prefix stands for an embedded
// Config, whose fields keep their names.
func (c *Check) Nest(prefix string, err error) {
	for _, e := range flatten(err) {
		if fe, ok := e.(*FieldError); ok && prefix != "" {
			e = fe.renamed(func(f string) string { return prefix + "." + f })
		}
		c.errs = append(c.errs, e)
	}
}

// Err returns the problems recorded, joined, or nil.
func (c *Check) Err() error { return errors.Join(c.errs...) }

// flatten returns the errors that errors.Join joined into err, and err
// itself when it is not a join.
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var errs []error
	for _, e := range j.Unwrap() {
		errs = append(errs, flatten(e)...)
	}
	return errs
}

// InFlags returns err, which the Validate of *cfg returned, with the
// fields its FieldErrors name (their Field and Refs) written as the flags
// of fs that set them:
// "BatchRows must be at least 1" becomes "--batch-rows must be at least
// 1". The flags must be those cfg's AddFlags defined (each flag is found
// by the field it writes to). A field no flag sets keeps its name; errors
// that are not FieldErrors are kept as they are.
func InFlags(err error, fs *flag.FlagSet, cfg any) error {
	return rename(err, fs, cfg, func(f *flag.Flag) string { return "--" + f.Name })
}

// InEnv is InFlags for a program configured through the environment
// only: "Bucket is required" becomes "ZTFBRIDGE_BUCKET is required".
func InEnv(err error, fs *flag.FlagSet, cfg any) error {
	return rename(err, fs, cfg, func(f *flag.Flag) string { return EnvName(f.Name) })
}

func rename(err error, fs *flag.FlagSet, cfg any, name func(*flag.Flag) string) error {
	if err == nil {
		return nil
	}
	names := flagNames(fs, cfg, name)
	var errs []error
	for _, e := range flatten(err) {
		if fe, ok := e.(*FieldError); ok {
			e = errors.New(fe.renamed(func(f string) string {
				if n, ok := names[f]; ok {
					return n
				}
				return f
			}).Error())
		}
		errs = append(errs, e)
	}
	return errors.Join(errs...)
}

// flagNames maps the path of every field of *cfg that a flag of fs writes
// to onto name(flag).
func flagNames(fs *flag.FlagSet, cfg any, name func(*flag.Flag) string) map[string]string {
	v := reflect.ValueOf(cfg)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	fields := map[target]string{}
	walkFields(v.Elem(), "", fields)
	names := map[string]string{}
	fs.VisitAll(func(f *flag.Flag) {
		for _, t := range targets(f.Value) {
			if path, ok := fields[t]; ok {
				names[path] = name(f)
				return
			}
		}
	})
	return names
}

// target is a variable: its address and its kind, which tell a struct
// from its first field.
type target struct {
	addr uintptr
	kind reflect.Kind
}

// walkFields records the path of every field of the struct v in fields,
// those of embedded structs under their own names (as Go promotes them),
// those of other struct fields under "Field.".
func walkFields(v reflect.Value, prefix string, fields map[target]string) {
	t := v.Type()
	for i := range t.NumField() {
		sf, fv := t.Field(i), v.Field(i)
		if !sf.IsExported() && !sf.Anonymous {
			continue
		}
		path := prefix + sf.Name
		if _, ok := fields[target{fv.Addr().Pointer(), fv.Kind()}]; !ok {
			fields[target{fv.Addr().Pointer(), fv.Kind()}] = path
		}
		if fv.Kind() == reflect.Struct {
			if sf.Anonymous {
				walkFields(fv, prefix, fields)
			} else {
				walkFields(fv, path+".", fields)
			}
		}
	}
}

// targets returns the variables a flag value may write to: the pointer
// the flag package's values are, or the pointer a value such as
// flag.TextVar's or List's holds.
func targets(fv flag.Value) []target {
	v := reflect.ValueOf(fv)
	var ts []target
	add := func(p reflect.Value) {
		if p.Kind() == reflect.Interface {
			p = p.Elem()
		}
		if p.Kind() == reflect.Pointer && !p.IsNil() {
			ts = append(ts, target{p.Pointer(), p.Elem().Kind()})
		}
	}
	add(v)
	if v.Kind() == reflect.Struct {
		for i := range v.NumField() {
			add(v.Field(i))
		}
	}
	return ts
}
