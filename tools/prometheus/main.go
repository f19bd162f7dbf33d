// Command promcheck validates what tap gives Amazon Managed Service for Prometheus, with the
// upstream code that defines the formats: the rule group namespace's data (Prometheus's rulefmt,
// which parses every expression with the PromQL parser) and the alert manager's configuration
// (Alertmanager's config.Load, strict: an unknown field is an error). It also prints the metric
// names each alerting rule's expression selects (the PromQL AST's vector selectors), so a test
// can hold them to what the collector keeps.
//
// Input (stdin): {"Rules": "<rules YAML>", "Alertmanager": "<alertmanager_config YAML>"}.
// Output (stdout): {"rules": [errors], "alertmanager": [errors], "reads": {alert: [metrics]}}.
// Built by tools/prometheus/build.sh; used by test/prometheus (tools/prometheus/test.sh).
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"

	amconfig "github.com/prometheus/alertmanager/config"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

func main() {
	in, _ := io.ReadAll(os.Stdin)
	var req struct{ Rules, Alertmanager string }
	if err := json.Unmarshal(in, &req); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	out := struct {
		Rules        []string            `json:"rules"`
		Alertmanager []string            `json:"alertmanager"`
		Reads        map[string][]string `json:"reads"`
	}{[]string{}, []string{}, map[string][]string{}}
	p := parser.NewParser(parser.Options{})
	groups, errs := rulefmt.Parse([]byte(req.Rules), false, model.UTF8Validation, p, nil)
	for _, e := range errs {
		out.Rules = append(out.Rules, e.Error())
	}
	if groups != nil {
		for _, g := range groups.Groups {
			for _, r := range g.Rules {
				expr, err := p.ParseExpr(r.Expr)
				if err != nil {
					continue
				}
				seen := map[string]bool{}
				parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
					if vs, ok := n.(*parser.VectorSelector); ok {
						seen[vs.Name] = true
					}
					return nil
				})
				names := []string{}
				for n := range seen {
					names = append(names, n)
				}
				sort.Strings(names)
				out.Reads[r.Alert] = names
			}
		}
	}
	if _, err := amconfig.Load(req.Alertmanager); err != nil {
		out.Alertmanager = append(out.Alertmanager, err.Error())
	}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
}
