// Package matchmaker forms game matches and backfills in-process from tickets and a FlexMatch-style
// rule set, and reports progress as typed events.
package matchmaker
