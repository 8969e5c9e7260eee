package check

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// Manifest is one decoded file: exactly one of Job, CronJob, Workflow.
type Manifest struct {
	Path     string
	Job      *batchv1.Job
	CronJob  *batchv1.CronJob
	Workflow *wfv1.Workflow
}

// Manifests returns the YAML files of dir (samples/deploy), sorted.
func Manifests(dir string) ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	return paths, nil
}

// Load decodes one manifest strictly: an unknown or duplicated field is an
// error, as is a kind other than Job, CronJob and Workflow.
func Load(path string) (*Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var tm v1.TypeMeta
	if err := yaml.Unmarshal(data, &tm); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m := &Manifest{Path: path}
	var into any
	switch tm.APIVersion + " " + tm.Kind {
	case "batch/v1 Job":
		m.Job = &batchv1.Job{}
		into = m.Job
	case "batch/v1 CronJob":
		m.CronJob = &batchv1.CronJob{}
		into = m.CronJob
	case "argoproj.io/v1alpha1 Workflow":
		m.Workflow = &wfv1.Workflow{}
		into = m.Workflow
	default:
		return nil, fmt.Errorf("%s: unexpected kind %q %q", path, tm.APIVersion, tm.Kind)
	}
	if err := yaml.UnmarshalStrict(data, into); err != nil {
		return nil, fmt.Errorf("%s: strict decoding as %s: %w", path, tm.Kind, err)
	}
	return m, nil
}

// Run is one invocation of the tool as a cluster would make it.
type Run struct {
	Name string            // e.g. "index 2", "attend shard 1", "plan"
	Args []string          // the container's args (the image's entrypoint is the tool)
	Env  map[string]string // literal env values, plus JOB_COMPLETION_INDEX for indexed pods
	// Stage orders runs: a cluster starts every run of a stage at once
	// (the pods of a Job, the steps of an Argo step group) and the next
	// stage after all of them succeeded.
	Stage int
}

// Image is the image name the manifests use for the tool; containers of
// other images (the Argo check step) are not runs of the tool.
const Image = "registry.example.com/contextualize:v1"

// Runs expands a manifest into the tool's invocations, in the order a
// cluster would start them (Argo: plan, then each shard; Indexed Job: each
// index). Argo parameters take their default values.
func (m *Manifest) Runs() ([]Run, error) {
	switch {
	case m.Job != nil:
		return podRuns(m.Job.Spec)
	case m.CronJob != nil:
		return podRuns(m.CronJob.Spec.JobTemplate.Spec)
	default:
		return m.workflowRuns()
	}
}

func podRuns(spec batchv1.JobSpec) ([]Run, error) {
	var runs []Run
	for _, c := range spec.Template.Spec.Containers {
		if c.Image != Image {
			continue
		}
		if spec.CompletionMode != nil && *spec.CompletionMode == batchv1.IndexedCompletion {
			n := int32(1)
			if spec.Completions != nil {
				n = *spec.Completions
			}
			for i := int32(0); i < n; i++ {
				env := literalEnv(c.Env)
				env["JOB_COMPLETION_INDEX"] = strconv.Itoa(int(i))
				runs = append(runs, Run{Name: fmt.Sprintf("%s index %d", c.Name, i), Args: c.Args, Env: env})
			}
			continue
		}
		runs = append(runs, Run{Name: c.Name, Args: c.Args, Env: literalEnv(c.Env)})
	}
	return runs, nil
}

func literalEnv(env []corev1.EnvVar) map[string]string {
	out := map[string]string{}
	for _, e := range env {
		if e.ValueFrom == nil {
			out[e.Name] = e.Value
		}
	}
	return out
}

var reference = regexp.MustCompile(`{{\s*([^{}]+?)\s*}}`)

// substitute replaces {{name}} references from vars; an unknown one is an
// error (Argo would fail the workflow at run time).
func substitute(s string, vars map[string]string) (string, error) {
	var missing []string
	out := reference.ReplaceAllStringFunc(s, func(ref string) string {
		name := reference.FindStringSubmatch(ref)[1]
		v, ok := vars[name]
		if !ok {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("undefined Argo references %q in %q", missing, s)
	}
	return out, nil
}

// workflowRuns walks the entry template's steps in order; a step with
// withSequence runs once per item.
func (m *Manifest) workflowRuns() ([]Run, error) {
	wf := m.Workflow
	global := map[string]string{}
	for _, p := range wf.Spec.Arguments.Parameters {
		if p.Value != nil {
			global["workflow.parameters."+p.Name] = p.Value.String()
		}
	}
	templates := map[string]wfv1.Template{}
	for _, t := range wf.Spec.Templates {
		templates[t.Name] = t
	}
	entry, ok := templates[wf.Spec.Entrypoint]
	if !ok {
		return nil, fmt.Errorf("entrypoint %q is not a template", wf.Spec.Entrypoint)
	}
	var runs []Run
	for stage, group := range entry.Steps {
		for _, step := range group.Steps {
			t, ok := templates[step.Template]
			if !ok {
				return nil, fmt.Errorf("step %s: no template %q", step.Name, step.Template)
			}
			items := []string{""}
			if seq := step.WithSequence; seq != nil {
				count, err := substitute(seq.Count.String(), global)
				if err != nil {
					return nil, err
				}
				n, err := strconv.Atoi(count)
				if err != nil {
					return nil, fmt.Errorf("step %s: withSequence count %q: %w", step.Name, count, err)
				}
				items = items[:0]
				for i := 0; i < n; i++ {
					items = append(items, strconv.Itoa(i))
				}
			}
			for _, item := range items {
				vars := map[string]string{}
				for k, v := range global {
					vars[k] = v
				}
				if step.WithSequence != nil {
					vars["item"] = item
				}
				for _, p := range step.Arguments.Parameters {
					v, err := substitute(p.Value.String(), vars)
					if err != nil {
						return nil, fmt.Errorf("step %s: %w", step.Name, err)
					}
					vars["inputs.parameters."+p.Name] = v
				}
				for _, p := range t.Inputs.Parameters {
					if _, ok := vars["inputs.parameters."+p.Name]; !ok {
						return nil, fmt.Errorf("step %s: template %s input %q has no argument", step.Name, t.Name, p.Name)
					}
				}
				if t.Container == nil || t.Container.Image != Image {
					continue
				}
				args := make([]string, len(t.Container.Args))
				for i, a := range t.Container.Args {
					v, err := substitute(a, vars)
					if err != nil {
						return nil, fmt.Errorf("template %s: %w", t.Name, err)
					}
					args[i] = v
				}
				name := step.Name
				if item != "" {
					name += " shard " + item
				}
				runs = append(runs, Run{Name: name, Args: args, Env: literalEnv(t.Container.Env), Stage: stage})
			}
		}
	}
	return runs, nil
}

// Bucket is the placeholder bucket of the manifests.
const Bucket = "s3://contextualize-data/"

// PointAt returns args with every URL in the placeholder bucket moved to
// bucket (e.g. "s3://test-bucket/") and given the query (gocloud.dev
// opener parameters, e.g. "endpoint=http://127.0.0.1:19070&use_path_style=true&region=us-east-1"),
// for running a manifest's arguments against a local server.
func PointAt(args []string, bucket, query string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		j := strings.Index(a, Bucket)
		if j < 0 {
			out[i] = a
			continue
		}
		u := bucket + a[j+len(Bucket):]
		if query != "" {
			u += "?" + query
		}
		out[i] = a[:j] + u
	}
	return out
}
