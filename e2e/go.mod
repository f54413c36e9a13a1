module github.com/seed-04d22514/matchmaker/e2e

go 1.25.0

require (
	github.com/chromedp/cdproto v0.159.0
	github.com/chromedp/chromedp v0.23.0
	github.com/stretchr/testify v1.12.1
)

require (
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/seed-04d22514/matchmaker v0.0.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
)

// The report test runs the simulate command of the module around this one.
tool github.com/seed-04d22514/matchmaker/cmd/matchmaker

replace github.com/seed-04d22514/matchmaker => ../
