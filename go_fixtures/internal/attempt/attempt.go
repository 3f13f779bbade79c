// Package attempt logs what a hostile fixture tried and whether it got through, as one line
// "ATTEMPT <name>: ok" or "ATTEMPT <name>: denied: <error>" that the tests read from the log.
package attempt

import "log"

// Report logs one attempt: denied when err is not nil.
func Report(name string, err error) {
	if err != nil {
		log.Printf("ATTEMPT %s: denied: %v", name, err)
	} else {
		log.Printf("ATTEMPT %s: ok", name)
	}
}
