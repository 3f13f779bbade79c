// Hostile service: logs GitHub Actions workflow commands and exits before it is healthy. If a
// harness prints a log line at the start of a line of its stdout, the runner obeys it: an
// annotation on any file, or ::stop-commands:: that switches off the job's own commands.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Println("::error file=README.md,line=1::hostile annotation")
	fmt.Println("::stop-commands::hostiletoken")
	fmt.Println("::add-mask::hostile`backtick")
	fmt.Fprintln(os.Stderr, "::warning::from stderr")
	os.Exit(3)
}
