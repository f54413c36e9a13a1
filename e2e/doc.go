// Package e2e holds end-to-end tests that need more than the core module may depend on: the
// simulate command's HTML report opened in a real headless Chromium through chromedp. It is a
// module of its own so that importing the matchmaker never pulls chromedp in; .ci/run tests it
// with the other nested modules, and the browser test skips, saying why, where no Chromium or
// Chrome is installed (README.md, "Simulating", says how to install one).
package e2e
