package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func mustCompile(t *testing.T, text string, vars map[string]string) *Template {
	t.Helper()
	tpl, err := Compile(text, vars)
	if err != nil {
		t.Fatalf("Compile(%q): %v", text, err)
	}
	return tpl
}

func TestTemplateLiteralsAndEscapes(t *testing.T) {
	for text, want := range map[string]string{
		"/plain":                     "/plain",
		"{{seq}}":                    "{seq}",
		`{"id": 1}`:                  `{"id": 1}`,
		`{"a": {"b": 1}}}}`:          `{"a": {"b": 1}}`,
		"Bearer {token}":             "Bearer s3cr3t",
		"{ seq }":                    "{ seq }",
		"{9}":                        "{9}",
		"open {":                     "open {",
		"{token}{token}":             "s3cr3ts3cr3t",
		`{"q": "{{not a var}}"}`:     `{"q": "{not a var}"}`,
		"/x?t={token}&lit={{token}}": "/x?t=s3cr3t&lit={token}",
	} {
		tpl := mustCompile(t, text, map[string]string{"token": "s3cr3t"})
		ctx := NewContext(1, 1)
		if got := tpl.Expand(&ctx); got != want {
			t.Errorf("%q expands to %q, want %q", text, got, want)
		}
		if !tpl.Static() {
			t.Errorf("%q should be static", text)
		}
	}
}

func TestTemplateVariables(t *testing.T) {
	tpl := mustCompile(t, `/u/{seq}?r={rand:5-7}&id={uuid}`, nil)
	if tpl.Static() {
		t.Fatal("a template with {seq} is not static")
	}
	re := regexp.MustCompile(`^/u/(\d+)\?r=(\d+)&id=([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})$`)
	seen := map[string]bool{}
	rands := map[int]int{}
	for seq := int64(1); seq <= 3000; seq++ {
		ctx := NewContext(42, seq)
		got := tpl.Expand(&ctx)
		m := re.FindStringSubmatch(got)
		if m == nil {
			t.Fatalf("seq %d: %q does not match", seq, got)
		}
		if m[1] != strconv.FormatInt(seq, 10) {
			t.Fatalf("seq %d expanded as %s", seq, m[1])
		}
		r, _ := strconv.Atoi(m[2])
		rands[r]++
		if seen[m[3]] {
			t.Fatalf("uuid %s repeated", m[3])
		}
		seen[m[3]] = true
	}
	if len(rands) != 3 || rands[5] < 900 || rands[6] < 900 || rands[7] < 900 {
		t.Fatalf("rand:5-7 is not uniform over 5..7: %v", rands)
	}
}

func TestTemplateIsReplayableBySeedAndSeq(t *testing.T) {
	tpl := mustCompile(t, "{uuid} {rand:0-1000000}", nil)
	expand := func(seed uint64, seq int64) string { ctx := NewContext(seed, seq); return tpl.Expand(&ctx) }
	if expand(7, 10) != expand(7, 10) {
		t.Fatal("same seed and seq gave different values")
	}
	if expand(7, 10) == expand(8, 10) || expand(7, 10) == expand(7, 11) {
		t.Fatal("another seed or seq gave the same values")
	}
}

func TestTemplateErrors(t *testing.T) {
	for text, want := range map[string]string{
		"{user}":        "unknown variable {user}",
		"{rand:9-1}":    "{rand:9-1}",
		"{rand:x-2}":    "{rand:x-2}",
		"{rand:5}":      "{rand:5}",
		"{seq:3}":       "only {rand:LO-HI} takes arguments",
		"a {tokne} b":   "unknown variable {tokne}",
		"{rand:-1-5}":   "{rand:-1-5}",
		"{rand:1-2-3}":  "{rand:1-2-3}",
		"{rand:}":       "{rand:}",
		"{rand:10-10a}": "{rand:10-10a}",
	} {
		_, err := Compile(text, map[string]string{"token": "x"})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Compile(%q) = %v, want an error containing %q", text, err, want)
		}
	}
}

func TestSeqIsSharedAndUnique(t *testing.T) {
	a, b := NextSeq(), NextSeq()
	if b != a+1 || a < 1 {
		t.Fatalf("NextSeq gave %d then %d", a, b)
	}
}

func BenchmarkTemplateAppend(b *testing.B) {
	tpl, _ := Compile(`/u/{seq}?r={rand:1-100000}&id={uuid}`, nil)
	buf := make([]byte, 0, 256)
	for i := 0; i < b.N; i++ {
		ctx := NewContext(1, int64(i))
		buf = tpl.Append(buf[:0], &ctx)
	}
}
