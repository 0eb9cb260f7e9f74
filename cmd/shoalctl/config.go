package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// settings are what a command needs to reach the API.
type settings struct {
	Server   string `json:"server"`
	Token    string `json:"token"`
	Output   string `json:"output"`
	Insecure bool   `json:"insecure"`
}

const defaultServer = "http://localhost:8080"

// resolveSettings merges, strongest first: flags, SHOAL_* environment
// variables, the config file, the defaults.
func resolveSettings(f globalFlags, getenv func(string) string) (settings, error) {
	file, err := loadConfigFile(f.config, getenv)
	if err != nil {
		return settings{}, err
	}
	pick := func(vals ...string) string {
		for _, v := range vals {
			if v != "" {
				return v
			}
		}
		return ""
	}
	s := settings{
		Server:   pick(f.server, getenv("SHOAL_SERVER"), file.Server, defaultServer),
		Token:    pick(f.token, getenv("SHOAL_TOKEN"), file.Token),
		Output:   pick(f.output, getenv("SHOAL_OUTPUT"), file.Output, "table"),
		Insecure: f.insecure || file.Insecure,
	}
	s.Server = strings.TrimRight(s.Server, "/")
	if !strings.HasPrefix(s.Server, "http://") && !strings.HasPrefix(s.Server, "https://") {
		return s, fmt.Errorf("server %q: must start with http:// or https://", s.Server)
	}
	if s.Output != "table" && s.Output != "json" {
		return s, fmt.Errorf("output %q: must be table or json", s.Output)
	}
	return s, nil
}

// loadConfigFile reads path, or the default locations when path is empty
// (a missing default file is fine; a missing named one is not).
func loadConfigFile(path string, getenv func(string) string) (settings, error) {
	if path != "" {
		return parseConfigFile(path)
	}
	dir := getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home := getenv("HOME")
		if home == "" {
			return settings{}, nil
		}
		dir = filepath.Join(home, ".config")
	}
	for _, name := range []string{"shoalctl.yaml", "shoalctl.yml", "shoalctl.json"} {
		s, err := parseConfigFile(filepath.Join(dir, "shoal", name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		return s, err
	}
	return settings{}, nil
}

// parseConfigFile reads a JSON object or "key: value" lines (the small
// subset of YAML a flat config needs: comments, optional quotes).
func parseConfigFile(path string) (settings, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return settings{}, err
	}
	var s settings
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(t))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s); err != nil {
			return s, fmt.Errorf("%s: %v", path, err)
		}
		return s, nil
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line == "---" {
			continue
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			return s, fmt.Errorf("%s:%d: expected \"key: value\"", path, n)
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		if i := strings.Index(val, " #"); i >= 0 && val[0] != '"' && val[0] != '\'' {
			val = strings.TrimSpace(val[:i])
		}
		if len(val) >= 2 && (val[0] == '"' && val[len(val)-1] == '"' || val[0] == '\'' && val[len(val)-1] == '\'') {
			val = val[1 : len(val)-1]
		}
		switch key {
		case "server":
			s.Server = val
		case "token":
			s.Token = val
		case "output":
			s.Output = val
		case "insecure":
			s.Insecure = val == "true" || val == "yes"
		default:
			return s, fmt.Errorf("%s:%d: unknown key %q (server, token, output, insecure)", path, n, key)
		}
	}
	return s, sc.Err()
}
