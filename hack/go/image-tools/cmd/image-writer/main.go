// image-writer turns a JSON description of files into a container image archive in the format
// `docker save` writes, which `ctr images import` and `kind load image-archive` read. It exists
// because no registry or Docker engine is reachable here, and because the archive must be
// deterministic: sorted entries, zero timestamps and numeric owners make the same inputs give
// the same image ID on every machine.
//
// Usage: image-writer SPEC.json OUT.tar
package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"time"
)

// Entry is one path in a layer: a copy of a host file (Source), literal Content, a directory
// (Dir) or a symbolic link (Link).
type Entry struct {
	Path    string  `json:"path"`
	Source  string  `json:"source,omitempty"`
	Content *string `json:"content,omitempty"`
	Dir     bool    `json:"dir,omitempty"`
	Link    string  `json:"link,omitempty"`
	Mode    int64   `json:"mode,omitempty"`
	UID     int     `json:"uid,omitempty"`
	GID     int     `json:"gid,omitempty"`
}

// Spec is one image: its reference, its runtime config (the OCI image config's `config`
// object) and its layers, bottom first.
type Spec struct {
	Tag    string          `json:"tag"`
	Config json.RawMessage `json:"config"`
	Layers [][]Entry       `json:"layers"`
}

var epoch = time.Unix(0, 0).UTC()

func main() {
	if len(os.Args) != 3 {
		fail(fmt.Errorf("usage: image-writer SPEC.json OUT.tar"))
	}
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		fail(err)
	}
	var spec Spec
	if err := json.Unmarshal(raw, &spec); err != nil {
		fail(fmt.Errorf("%s: %w", os.Args[1], err))
	}
	if spec.Tag == "" || strings.HasSuffix(spec.Tag, ":latest") || !strings.Contains(spec.Tag, ":") {
		fail(fmt.Errorf("tag %q must name an explicit version, never latest", spec.Tag))
	}
	archive, err := writeImage(spec)
	if err != nil {
		fail(err)
	}
	tmp := os.Args[2] + ".partial"
	if err := os.WriteFile(tmp, archive, 0o644); err != nil {
		fail(err)
	}
	if err := os.Rename(tmp, os.Args[2]); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "image-writer:", err)
	os.Exit(1)
}

func writeImage(spec Spec) ([]byte, error) {
	type blob struct {
		name string
		data []byte
	}
	var blobs []blob
	var diffIDs, layerNames []string
	for i, entries := range spec.Layers {
		layer, err := writeLayer(entries)
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", i, err)
		}
		digest := sha256Hex(layer)
		diffIDs = append(diffIDs, "sha256:"+digest)
		layerNames = append(layerNames, digest+"/layer.tar")
		blobs = append(blobs, blob{digest + "/layer.tar", layer})
	}
	config, err := json.Marshal(map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"config":       spec.Config,
		"rootfs":       map[string]any{"type": "layers", "diff_ids": diffIDs},
	})
	if err != nil {
		return nil, err
	}
	configName := sha256Hex(config) + ".json"
	manifest, err := json.Marshal([]map[string]any{{"Config": configName, "RepoTags": []string{spec.Tag}, "Layers": layerNames}})
	if err != nil {
		return nil, err
	}
	blobs = append(blobs, blob{configName, config}, blob{"manifest.json", manifest})

	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	for _, b := range blobs {
		if dir := path.Dir(b.name); dir != "." {
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir + "/", Mode: 0o755, ModTime: epoch, Format: tar.FormatPAX}); err != nil {
				return nil, err
			}
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: b.name, Mode: 0o644, Size: int64(len(b.data)), ModTime: epoch, Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(b.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// writeLayer writes the entries sorted by path, adding any parent directory not listed (root
// owned, 0755), so that a layer never depends on the order the spec was written in.
func writeLayer(entries []Entry) ([]byte, error) {
	byPath := map[string]Entry{}
	for _, e := range entries {
		clean := strings.TrimPrefix(path.Clean("/"+e.Path), "/")
		if clean == "" {
			return nil, fmt.Errorf("entry with an empty path")
		}
		if _, dup := byPath[clean]; dup {
			return nil, fmt.Errorf("%s listed twice", clean)
		}
		e.Path = clean
		byPath[clean] = e
	}
	for p := range byPath {
		for dir := path.Dir(p); dir != "." && dir != "/"; dir = path.Dir(dir) {
			if _, ok := byPath[dir]; !ok {
				byPath[dir] = Entry{Path: dir, Dir: true}
			}
		}
	}
	paths := make([]string, 0, len(byPath))
	for p := range byPath {
		paths = append(paths, p)
	}
	sort.Strings(paths)

	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	for _, p := range paths {
		e := byPath[p]
		h := &tar.Header{Name: p, Uid: e.UID, Gid: e.GID, ModTime: epoch, Mode: e.Mode, Format: tar.FormatPAX}
		var data []byte
		switch {
		case e.Dir:
			h.Typeflag, h.Name = tar.TypeDir, p+"/"
			if h.Mode == 0 {
				h.Mode = 0o755
			}
		case e.Link != "":
			h.Typeflag, h.Linkname, h.Mode = tar.TypeSymlink, e.Link, 0o777
		case e.Content != nil:
			data = []byte(*e.Content)
		case e.Source != "":
			info, err := os.Stat(e.Source)
			if err != nil {
				return nil, err
			}
			if !info.Mode().IsRegular() {
				return nil, fmt.Errorf("%s: not a regular file", e.Source)
			}
			if data, err = os.ReadFile(e.Source); err != nil {
				return nil, err
			}
			if h.Mode == 0 {
				h.Mode = int64(info.Mode().Perm())
			}
		default:
			return nil, fmt.Errorf("%s: needs source, content, dir or link", p)
		}
		if h.Typeflag == 0 {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(data))
			if h.Mode == 0 {
				h.Mode = 0o644
			}
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := io.Copy(tw, bytes.NewReader(data)); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
