package natscluster_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/seed-04d22514/matchmaker"
	"github.com/seed-04d22514/matchmaker/natscluster"
)

// One node with an embedded NATS server: it takes the partition's lease, and requests are
// acknowledged once committed to the partition's journal.
func ExampleStart() {
	dir, _ := os.MkdirTemp("", "natscluster")
	defer os.RemoveAll(dir)
	ns, _ := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: dir,
		SyncAlways: true, NoLog: true, NoSigs: true})
	go ns.Start()
	defer ns.Shutdown()
	ns.ReadyForConnections(10 * time.Second)
	nc, _ := nats.Connect(ns.ClientURL())
	defer nc.Close()

	rules := matchmaker.MustParseRuleSet([]byte(`{"name": "duel", "ruleLanguageVersion": "1.0",
		"teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 1}, {"name": "blue", "minPlayers": 1, "maxPlayers": 1}]}`))
	ctx := context.Background()
	node, err := natscluster.Start(ctx, natscluster.Config{
		Conn:       nc,
		Partitions: []string{"duel"},
		Matchmaker: func(string) (matchmaker.Config, []matchmaker.Option) {
			return matchmaker.Config{RuleSet: rules, RequestTimeout: time.Minute}, nil
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer node.Close()

	p := node.Partition("duel")
	for _, id := range []string{"ann", "bob"} {
		if _, err := p.StartMatchmaking(ctx, matchmaker.StartMatchmakingInput{TicketID: id,
			Players: []matchmaker.Player{{PlayerID: id}}}); err != nil {
			fmt.Println(err)
			return
		}
	}
	t, err := p.Wait(ctx, "ann")
	fmt.Println(t.Status, err)
	// Output: COMPLETED <nil>
}
