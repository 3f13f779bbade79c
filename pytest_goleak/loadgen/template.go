package main

// Request templates: the variables of a scenario's load, expanded per request.
//
// API (also for the gRPC side: expand a `data` template the same way):
//
//	t, err := Compile(text, vars)    // once, at spec time; vars are the setup step's captures
//	ctx := NewContext(seed, seq)     // once per request: seq from NextSeq(), seed from the spec
//	buf = t.Append(buf[:0], &ctx)    // the request's text (or t.Expand(&ctx) for a string)
//	t.Static()                       // true when the text has no per-request variable
//
// Grammar: {seq} (unique per request across every phase of the driver process: warm-up,
// measured run, extension), {uuid} (a random v4 UUID), {rand:LO-HI} (a uniform integer,
// inclusive, 0 <= LO <= HI), {NAME} (a captured variable, substituted at compile time);
// "{{" and "}}" are literal braces. Any other brace is literal too, so a JSON body such as
// {"id": "{uuid}"} needs no escaping: only "{" + identifier (+ ":args") + "}" is a variable.
//
// Replayable: a request's random values come from a generator seeded by (seed, seq) alone, so the
// same seed gives every request the same values whichever worker sends it, in any order.

import (
	"fmt"
	"strconv"
	"sync/atomic"
)

// seqCounter is shared by every phase and worker of the process.
var seqCounter atomic.Int64

// NextSeq returns the next request number: 1, 2, 3, ... over the whole life of the driver.
func NextSeq() int64 { return seqCounter.Add(1) }

// Context carries what one request's variables draw on.
type Context struct {
	Seq   int64
	state uint64 // splitmix64
}

// NewContext starts request seq's own random stream.
func NewContext(seed uint64, seq int64) Context {
	return Context{Seq: seq, state: seed ^ (uint64(seq) * 0xD1B54A32D192ED03)}
}

// Uint64 is the next value of the request's stream (splitmix64: tiny, fast, well mixed).
func (c *Context) Uint64() uint64 {
	c.state += 0x9E3779B97F4A7C15
	z := c.state
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// Float64 is uniform in [0, 1).
func (c *Context) Float64() float64 { return float64(c.Uint64()>>11) / (1 << 53) }

type partKind uint8

const (
	literal partKind = iota
	seqVar
	uuidVar
	randVar
)

type part struct {
	kind   partKind
	text   string // literal
	lo, hi int64  // randVar
}

// Template is a compiled request text.
type Template struct {
	parts  []part
	static string
	isStat bool
}

// Static reports whether the text is the same for every request.
func (t *Template) Static() bool { return t.isStat }

// Compile parses text; an unknown variable or a bad {rand:LO-HI} is an error naming it.
func Compile(text string, vars map[string]string) (*Template, error) {
	t := &Template{}
	var lit []byte
	flush := func() {
		if len(lit) > 0 {
			t.parts = append(t.parts, part{kind: literal, text: string(lit)})
			lit = lit[:0]
		}
	}
	for i := 0; i < len(text); {
		c := text[i]
		switch {
		case (c == '{' || c == '}') && i+1 < len(text) && text[i+1] == c:
			lit = append(lit, c)
			i += 2
		case c == '{':
			name, args, end, ok := placeholder(text, i)
			if !ok {
				lit = append(lit, c)
				i++
				continue
			}
			p, err := compilePart(name, args, vars)
			if err != nil {
				return nil, err
			}
			if p.kind == literal {
				lit = append(lit, p.text...)
			} else {
				flush()
				t.parts = append(t.parts, p)
			}
			i = end
		default:
			lit = append(lit, c)
			i++
		}
	}
	flush()
	t.isStat = len(t.parts) == 0 || len(t.parts) == 1 && t.parts[0].kind == literal
	if t.isStat && len(t.parts) == 1 {
		t.static = t.parts[0].text
	}
	return t, nil
}

// placeholder reads "{ident}" or "{ident:args}" at text[i]; ok is false for any other brace.
func placeholder(text string, i int) (name, args string, end int, ok bool) {
	j := i + 1
	for j < len(text) && (isLetter(text[j]) || j > i+1 && isDigit(text[j])) {
		j++
	}
	if j == i+1 || j >= len(text) {
		return "", "", 0, false
	}
	name = text[i+1 : j]
	if text[j] == '}' {
		return name, "", j + 1, true
	}
	if text[j] != ':' {
		return "", "", 0, false
	}
	for k := j + 1; k < len(text); k++ {
		switch text[k] {
		case '}':
			return name, text[j+1 : k], k + 1, true
		case '{':
			return "", "", 0, false
		}
	}
	return "", "", 0, false
}

func isLetter(c byte) bool { return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }

func compilePart(name, args string, vars map[string]string) (part, error) {
	if args != "" && name != "rand" {
		return part{}, fmt.Errorf("{%s:%s}: only {rand:LO-HI} takes arguments", name, args)
	}
	switch name {
	case "seq":
		return part{kind: seqVar}, nil
	case "uuid":
		return part{kind: uuidVar}, nil
	case "rand":
		lo, hi, err := RandRange(args)
		return part{kind: randVar, lo: lo, hi: hi}, err
	}
	if v, ok := vars[name]; ok {
		return part{kind: literal, text: v}, nil
	}
	return part{}, fmt.Errorf("unknown variable {%s} (known: seq, uuid, rand:LO-HI, and the names a setup step captures)", name)
}

// RandRange parses "LO-HI" of {rand:LO-HI}.
func RandRange(args string) (int64, int64, error) {
	for k := 1; k < len(args); k++ {
		if args[k] != '-' {
			continue
		}
		lo, err1 := strconv.ParseInt(args[:k], 10, 64)
		hi, err2 := strconv.ParseInt(args[k+1:], 10, 64)
		if err1 == nil && err2 == nil && lo >= 0 && lo <= hi {
			return lo, hi, nil
		}
	}
	return 0, 0, fmt.Errorf("{rand:%s}: want {rand:LO-HI} with whole numbers 0 <= LO <= HI", args)
}

// Append appends the text for the request ctx describes.
func (t *Template) Append(dst []byte, ctx *Context) []byte {
	if t.isStat {
		return append(dst, t.static...)
	}
	for i := range t.parts {
		p := &t.parts[i]
		switch p.kind {
		case literal:
			dst = append(dst, p.text...)
		case seqVar:
			dst = strconv.AppendInt(dst, ctx.Seq, 10)
		case randVar:
			dst = strconv.AppendInt(dst, p.lo+int64(ctx.Uint64()%uint64(p.hi-p.lo+1)), 10)
		case uuidVar:
			dst = appendUUID(dst, ctx)
		}
	}
	return dst
}

// Expand is Append as a string.
func (t *Template) Expand(ctx *Context) string {
	if t.isStat {
		return t.static
	}
	return string(t.Append(nil, ctx))
}

const hexDigits = "0123456789abcdef"

func appendUUID(dst []byte, ctx *Context) []byte {
	var b [16]byte
	a, c := ctx.Uint64(), ctx.Uint64()
	for i := 0; i < 8; i++ {
		b[i], b[8+i] = byte(a>>(8*i)), byte(c>>(8*i))
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	for i, x := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hexDigits[x>>4], hexDigits[x&15])
	}
	return dst
}
