// yaml-v2 decodes snap.yaml texts with gopkg.in/yaml.v2 into the shape of snapd's snapYaml
// (snap/info_snap_yaml.go: plugs and slots as map[string]interface{}, apps and hooks as
// maps of structs with []string plugs and slots), for tests to hold snap-shm's reading of
// YAML to the real library. Reads a JSON array of texts on standard input; prints a JSON
// array with, per text, the names yaml.v2 leaves, or the error it gives.
package main

import (
	"encoding/json"
	"os"
	"sort"

	"gopkg.in/yaml.v2"
)

type owner struct {
	Plugs []string `yaml:"plugs"`
	Slots []string `yaml:"slots"`
}

type snapYaml struct {
	Name  string                 `yaml:"name"`
	Plugs map[string]interface{} `yaml:"plugs"`
	Slots map[string]interface{} `yaml:"slots"`
	Apps  map[string]owner       `yaml:"apps"`
	Hooks map[string]owner       `yaml:"hooks"`
}

type decoded struct {
	Error string              `json:"error,omitempty"`
	Name  string              `json:"name"`
	Plugs []string            `json:"plugs"`
	Slots []string            `json:"slots"`
	Apps  map[string][]string `json:"apps"`
	Hooks map[string][]string `json:"hooks"`
}

func keys(m map[string]interface{}) []string {
	out := []string{}
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func owners(m map[string]owner) map[string][]string {
	out := map[string][]string{}
	for name, o := range m {
		out[name] = append(append([]string{}, o.Plugs...), o.Slots...)
	}
	return out
}

func main() {
	var texts []string
	if err := json.NewDecoder(os.Stdin).Decode(&texts); err != nil {
		panic(err)
	}
	results := []decoded{}
	for _, text := range texts {
		var y snapYaml
		if err := yaml.Unmarshal([]byte(text), &y); err != nil {
			results = append(results, decoded{Error: err.Error()})
			continue
		}
		results = append(results, decoded{Name: y.Name, Plugs: keys(y.Plugs), Slots: keys(y.Slots), Apps: owners(y.Apps), Hooks: owners(y.Hooks)})
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		panic(err)
	}
}
