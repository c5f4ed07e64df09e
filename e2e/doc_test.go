// Package e2e runs the nfmm binary's sub-commands end to end (run, exec, demo, the demo in a
// browser, secrets) through package app, against the fake Slack and the CMS emulator.
package e2e
