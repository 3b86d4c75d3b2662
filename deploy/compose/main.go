// compose-check loads a Compose file the way `docker compose config` does, with the same
// library (compose-go): the compose-spec JSON schema, interpolation, and the consistency
// checks (depends_on, volumes and networks that exist). No Docker engine is needed.
//
//	compose-check [-q] FILE...
//
// It exits 1 naming the problem, 0 with a one-line summary (nothing with -q).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	quiet := flag.Bool("q", false, "print nothing when the file is valid")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: compose-check [-q] FILE...")
		os.Exit(2)
	}
	options, err := cli.NewProjectOptions(flag.Args(), cli.WithOsEnv, cli.WithName("check"))
	if err == nil {
		var names []string
		project, loadErr := options.LoadProject(context.Background())
		if err = loadErr; err == nil {
			names = project.ServiceNames()
			sort.Strings(names)
			if !*quiet {
				fmt.Printf("%s: valid, services: %s\n", strings.Join(flag.Args(), ", "),
					strings.Join(names, " "))
			}
			return
		}
	}
	fmt.Fprintf(os.Stderr, "compose-check: %v\n", err)
	os.Exit(1)
}
