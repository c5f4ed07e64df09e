// Package soak holds NFMM's soak test (soak_test.go), off by default, and leakcheck, the
// goroutine-leak check the reliability tests share.
//
// Run it with a bound:
//
//	go test ./soak -run TestSoak -soak=2m -v
//
// (or NFMM_SOAK=2m go test ./soak -run TestSoak -v). Thousands of mixed slash commands and
// clicks from many users run against the CMS emulator and the fake Slack while faults are
// injected at random on both sides; afterwards the emulator's state must equal what the audit
// log says happened, nothing may have run twice, and goroutines must be back where they began.
package soak
