package check

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/argoproj/argo-workflows/v3/util/expr/argoexpr"
	"github.com/argoproj/argo-workflows/v3/util/expr/env"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

const deployDir = ".."

// Exit codes of the tool (SPEC).
const (
	exitIO          = 1
	exitUsage       = 2
	exitInputs      = 3
	exitInterrupted = 130
)

func loadAll(t *testing.T) []*Manifest {
	t.Helper()
	paths, err := Manifests(deployDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) < 3 {
		t.Fatalf("found %d manifests in %s, want the Indexed Job, the CronJob and the Argo workflow", len(paths), deployDir)
	}
	var out []*Manifest
	kinds := map[string]bool{}
	for _, p := range paths {
		m, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case m.Job != nil:
			kinds["Job"] = true
		case m.CronJob != nil:
			kinds["CronJob"] = true
		case m.Workflow != nil:
			kinds["Workflow"] = true
		}
		out = append(out, m)
	}
	for _, k := range []string{"Job", "CronJob", "Workflow"} {
		if !kinds[k] {
			t.Errorf("no %s among the manifests", k)
		}
	}
	return out
}

func TestStrictDecodingRejectsUnknownFields(t *testing.T) {
	dir := t.TempDir()
	bad := dir + "/bad.yaml"
	writeFile(t, bad, "apiVersion: batch/v1\nkind: Job\nmetadata: {name: x}\nspec:\n  completionsMode: Indexed\n")
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), "completionsMode") {
		t.Errorf("a misspelt field was accepted: %v", err)
	}
	writeFile(t, bad, "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: x}\nspec:\n  templates:\n    - name: a\n      container: {image: x, args: [--n={{item}}]}\n")
	if _, err := Load(bad); err == nil {
		t.Error("an unquoted {{...}} in a flow sequence was accepted")
	}
}

func TestPodFailurePolicies(t *testing.T) {
	for _, m := range loadAll(t) {
		var spec *batchv1.JobSpec
		switch {
		case m.Job != nil:
			spec = &m.Job.Spec
		case m.CronJob != nil:
			spec = &m.CronJob.Spec.JobTemplate.Spec
		default:
			continue
		}
		indexed := spec.CompletionMode != nil && *spec.CompletionMode == batchv1.IndexedCompletion
		want := map[int32]batchv1.PodFailurePolicyAction{
			exitIO:          batchv1.PodFailurePolicyActionCount,
			exitUsage:       batchv1.PodFailurePolicyActionFailJob,
			exitInputs:      batchv1.PodFailurePolicyActionFailJob,
			exitInterrupted: batchv1.PodFailurePolicyActionCount,
		}
		if indexed {
			want[exitInputs] = batchv1.PodFailurePolicyActionFailIndex
			if spec.BackoffLimitPerIndex == nil {
				t.Errorf("%s: an Indexed Job with FailIndex needs backoffLimitPerIndex", m.Path)
			}
		}
		if spec.PodFailurePolicy == nil {
			t.Errorf("%s: no podFailurePolicy", m.Path)
			continue
		}
		for code, action := range want {
			if got := actionFor(spec.PodFailurePolicy, "contextualize", code); got != action {
				t.Errorf("%s: exit %d -> %s, want %s", m.Path, code, got, action)
			}
		}
		if !ignoresDisruption(spec.PodFailurePolicy) {
			t.Errorf("%s: evicted or preempted pods (DisruptionTarget) are not ignored", m.Path)
		}
		if spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
			t.Errorf("%s: podFailurePolicy needs restartPolicy Never", m.Path)
		}
	}
}

// actionFor is what Kubernetes does with a pod whose container exits with
// code: the first matching rule's action; Count when none matches.
func actionFor(p *batchv1.PodFailurePolicy, container string, code int32) batchv1.PodFailurePolicyAction {
	for _, r := range p.Rules {
		e := r.OnExitCodes
		if e == nil || (e.ContainerName != nil && *e.ContainerName != container) {
			continue
		}
		in := slices.Contains(e.Values, code)
		if (e.Operator == batchv1.PodFailurePolicyOnExitCodesOpIn) == in {
			return r.Action
		}
	}
	return batchv1.PodFailurePolicyActionCount
}

func ignoresDisruption(p *batchv1.PodFailurePolicy) bool {
	for _, r := range p.Rules {
		for _, c := range r.OnPodConditions {
			if r.Action == batchv1.PodFailurePolicyActionIgnore && c.Type == corev1.DisruptionTarget {
				return true
			}
		}
	}
	return false
}

func TestArgoRetries(t *testing.T) {
	for _, m := range loadAll(t) {
		if m.Workflow == nil {
			continue
		}
		sharded := 0
		for _, tmpl := range m.Workflow.Spec.Templates {
			if tmpl.Container == nil || !slices.ContainsFunc(tmpl.Container.Args, func(a string) bool { return strings.HasPrefix(a, "--shard-index") }) {
				continue
			}
			sharded++
			rs := tmpl.RetryStrategy
			if rs == nil || rs.Expression == "" || rs.Limit == nil || rs.Limit.IntValue() < 1 {
				t.Errorf("%s: template %s: no retryStrategy with a limit and an expression", m.Path, tmpl.Name)
				continue
			}
			if rs.RetryPolicy != "" && rs.RetryPolicy != wfv1.RetryPolicyAlways {
				t.Errorf("%s: template %s: retryPolicy %s also filters; want Always with the expression deciding", m.Path, tmpl.Name, rs.RetryPolicy)
			}
			for code := -1; code <= 255; code++ {
				got, err := retried(rs.Expression, code)
				if err != nil {
					t.Fatalf("%s: template %s: %v", m.Path, tmpl.Name, err)
				}
				if want := code == exitIO || code == exitInterrupted; got != want {
					t.Errorf("%s: template %s: exit %d retried=%v, want %v", m.Path, tmpl.Name, code, got, want)
				}
			}
		}
		if sharded == 0 {
			t.Errorf("%s: no template runs a shard (--shard-index)", m.Path)
		}
	}
}

// retried evaluates a retryStrategy expression as Argo's controller does
// (same functions, same lastRetry variables) for a failed pod.
func retried(expression string, code int) (bool, error) {
	scope := env.GetFuncMap(map[string]any{
		"retries":            "0",
		"lastRetry.exitCode": strconv.Itoa(code),
		"lastRetry.status":   "Failed",
		"lastRetry.duration": "12.5",
		"lastRetry.message":  "Error (exit code " + strconv.Itoa(code) + ")",
	})
	return argoexpr.EvalBool(expression, scope)
}

// tool is one container running contextualize, with the pod around it.
type tool struct {
	where     string
	pod       *corev1.PodSecurityContext
	c         corev1.Container
	volumes   []corev1.Volume
	argoWFPod bool
}

func tools(t *testing.T, m *Manifest) []tool {
	var out []tool
	add := func(where string, pod *corev1.PodSecurityContext, vols []corev1.Volume, cs []corev1.Container) {
		for _, c := range cs {
			out = append(out, tool{where: where + "/" + c.Name, pod: pod, c: c, volumes: vols})
		}
	}
	switch {
	case m.Job != nil:
		s := m.Job.Spec.Template.Spec
		add(m.Path, s.SecurityContext, s.Volumes, s.Containers)
	case m.CronJob != nil:
		s := m.CronJob.Spec.JobTemplate.Spec.Template.Spec
		add(m.Path, s.SecurityContext, s.Volumes, s.Containers)
	case m.Workflow != nil:
		for _, tmpl := range m.Workflow.Spec.Templates {
			if tmpl.Container == nil {
				continue
			}
			pod := m.Workflow.Spec.SecurityContext
			if tmpl.SecurityContext != nil {
				pod = tmpl.SecurityContext
			}
			vols := append(append([]corev1.Volume{}, m.Workflow.Spec.Volumes...), tmpl.Volumes...)
			add(m.Path+"/"+tmpl.Name, pod, vols, []corev1.Container{*tmpl.Container})
		}
	}
	return out
}

func TestSecurityContext(t *testing.T) {
	for _, m := range loadAll(t) {
		for _, x := range tools(t, m) {
			pod, c := x.pod, x.c.SecurityContext
			if pod == nil || pod.RunAsNonRoot == nil || !*pod.RunAsNonRoot || pod.RunAsUser == nil || *pod.RunAsUser == 0 {
				t.Errorf("%s: the pod must run as a non-root user (runAsNonRoot, runAsUser != 0)", x.where)
			}
			if len(x.volumes) > 0 && (pod == nil || pod.FSGroup == nil) {
				t.Errorf("%s: a pod with volumes needs fsGroup so the non-root user can write them", x.where)
			}
			if c == nil || c.ReadOnlyRootFilesystem == nil || !*c.ReadOnlyRootFilesystem {
				t.Errorf("%s: readOnlyRootFilesystem is not set", x.where)
			}
			if c == nil || c.AllowPrivilegeEscalation == nil || *c.AllowPrivilegeEscalation {
				t.Errorf("%s: allowPrivilegeEscalation must be false", x.where)
			}
			if c == nil || c.Capabilities == nil || !slices.Contains(c.Capabilities.Drop, "ALL") {
				t.Errorf("%s: capabilities must drop ALL", x.where)
			}
			if !tmpIsEmptyDir(x) {
				t.Errorf("%s: with a read-only root file system, /tmp must be an emptyDir volume", x.where)
			}
			for _, v := range x.volumes {
				if v.PersistentVolumeClaim != nil {
					t.Errorf("%s: volume %s is a PersistentVolumeClaim: data lives in object storage", x.where, v.Name)
				}
			}
		}
	}
}

func tmpIsEmptyDir(x tool) bool {
	for _, vm := range x.c.VolumeMounts {
		if vm.MountPath != "/tmp" {
			continue
		}
		for _, v := range x.volumes {
			if v.Name == vm.Name && v.EmptyDir != nil {
				return true
			}
		}
	}
	return false
}

// TestToolContainers checks the containers that run the tool: the command
// first and the flags after it (as users write them), JSON logs, URLs in
// object storage, and resources that hold --memory-limit.
func TestToolContainers(t *testing.T) {
	for _, m := range loadAll(t) {
		n := 0
		for _, x := range tools(t, m) {
			if x.c.Image != Image {
				continue
			}
			n++
			args := x.c.Args
			if len(x.c.Command) > 0 {
				t.Errorf("%s: command overrides the image's entrypoint", x.where)
			}
			if len(args) == 0 || !slices.Contains([]string{"smooth", "attend", "plan"}, args[0]) {
				t.Errorf("%s: args must start with the command, got %q", x.where, args)
				continue
			}
			if !slices.Contains(args, "--log-format=json") {
				t.Errorf("%s: no --log-format=json (schedulers collect JSON logs)", x.where)
			}
			for _, a := range args[1:] {
				v, isURL := urlArg(a)
				if isURL && !strings.HasPrefix(v, "s3://") && !strings.HasPrefix(v, "{{") {
					t.Errorf("%s: %q: inputs, outputs and weights live in s3://", x.where, a)
				}
			}
			checkResources(t, x)
		}
		if n == 0 {
			t.Errorf("%s: no container runs %s", m.Path, Image)
		}
	}
}

// urlArg returns the location an argument names: the value of --output,
// --weights, --attention-output, or a positional argument.
func urlArg(a string) (string, bool) {
	for _, f := range []string{"--output=", "--weights=", "--attention-output="} {
		if strings.HasPrefix(a, f) {
			return a[len(f):], true
		}
	}
	if strings.HasPrefix(a, "-") || !strings.ContainsAny(a, "/:") {
		return "", false
	}
	return a, true
}

// headroom is what a pod needs beyond --memory-limit + 64 MiB (SPEC):
// upload buffers (30 MiB per output being written), the largest page and
// the Go runtime.
var headroom = resource.MustParse("128Mi")

func checkResources(t *testing.T, x tool) {
	t.Helper()
	var ml *resource.Quantity
	for _, a := range x.c.Args {
		if v, ok := strings.CutPrefix(a, "--memory-limit="); ok {
			q, err := parseSize(v)
			if err != nil {
				t.Errorf("%s: --memory-limit=%s: %v", x.where, v, err)
				return
			}
			ml = &q
		}
	}
	if ml == nil {
		t.Errorf("%s: no --memory-limit (the default, 1GiB, must match the pod's memory limit)", x.where)
		return
	}
	limit, ok := x.c.Resources.Limits[corev1.ResourceMemory]
	if !ok {
		t.Errorf("%s: no memory limit", x.where)
		return
	}
	need := ml.DeepCopy()
	need.Add(resource.MustParse("64Mi"))
	need.Add(headroom)
	if limit.Cmp(need) < 0 {
		t.Errorf("%s: memory limit %s < --memory-limit %s + 64Mi + %s", x.where, limit.String(), ml.String(), headroom.String())
	}
	if req, ok := x.c.Resources.Requests[corev1.ResourceMemory]; !ok || req.Cmp(*ml) < 0 {
		t.Errorf("%s: memory request %s below --memory-limit %s", x.where, req.String(), ml.String())
	}
	if _, ok := x.c.Resources.Limits[corev1.ResourceCPU]; !ok {
		t.Errorf("%s: no CPU limit (GOMAXPROCS follows it)", x.where)
	}
}

// parseSize reads a --memory-limit value as the SPEC says: SI suffixes
// decimal, binary suffixes binary, as in Kubernetes, with an optional "B".
func parseSize(s string) (resource.Quantity, error) {
	return resource.ParseQuantity(strings.TrimSuffix(s, "B"))
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"512MiB": 512 << 20, "512Mi": 512 << 20, "2GB": 2e9, "512M": 512e6, "1Gi": 1 << 30} {
		q, err := parseSize(in)
		if err != nil || q.Value() != want {
			t.Errorf("parseSize(%q) = %v, %v; want %d", in, q.Value(), err, want)
		}
	}
}

// TestRuns checks the expansion into invocations that the end-to-end
// test will run against the binary.
func TestRuns(t *testing.T) {
	for _, m := range loadAll(t) {
		runs, err := m.Runs()
		if err != nil {
			t.Fatalf("%s: %v", m.Path, err)
		}
		var names []string
		for _, r := range runs {
			names = append(names, r.Name)
			for _, a := range r.Args {
				if strings.Contains(a, "{{") {
					t.Errorf("%s: %s: unsubstituted %q", m.Path, r.Name, a)
				}
			}
			pointed := PointAt(r.Args, "s3://ctx-test/", "endpoint=http://127.0.0.1:1&use_path_style=true")
			for _, a := range pointed {
				if strings.Contains(a, Bucket) {
					t.Errorf("%s: %s: PointAt left %q", m.Path, r.Name, a)
				}
			}
		}
		switch {
		case m.Job != nil:
			n := int(*m.Job.Spec.Completions)
			if len(runs) != n {
				t.Errorf("%s: %d runs, want one per index (%d)", m.Path, len(runs), n)
			}
			for i, r := range runs {
				if r.Stage != 0 {
					t.Errorf("%s: index %d is not started with the others", m.Path, i)
				}
				if r.Env["JOB_COMPLETION_INDEX"] != strconv.Itoa(i) {
					t.Errorf("%s: run %d has JOB_COMPLETION_INDEX %q", m.Path, i, r.Env["JOB_COMPLETION_INDEX"])
				}
				if !slices.Contains(r.Args, fmt.Sprintf("--shard-count=%d", n)) {
					t.Errorf("%s: --shard-count must equal completions (%d): %q", m.Path, n, r.Args)
				}
			}
		case m.Workflow != nil:
			want := []string{"plan", "attend shard 0", "attend shard 1", "attend shard 2"}
			if !slices.Equal(names, want) {
				t.Errorf("%s: runs %q, want %q", m.Path, names, want)
			}
			for i, r := range runs[1:] {
				if r.Stage != runs[1].Stage || r.Stage <= runs[0].Stage {
					t.Errorf("%s: %s in stage %d: shards run together, after the plan", m.Path, r.Name, r.Stage)
				}
				if !slices.Contains(r.Args, fmt.Sprintf("--shard-index=%d", i)) {
					t.Errorf("%s: %s: args %q", m.Path, r.Name, r.Args)
				}
			}
		}
	}
}

func TestPointAt(t *testing.T) {
	got := PointAt([]string{"smooth", "--output=s3://contextualize-data/out/x/", "s3://contextualize-data/in/x/", "--sigma=3"},
		"s3://b/", "endpoint=http://127.0.0.1:9000&use_path_style=true")
	want := []string{"smooth", "--output=s3://b/out/x/?endpoint=http://127.0.0.1:9000&use_path_style=true",
		"s3://b/in/x/?endpoint=http://127.0.0.1:9000&use_path_style=true", "--sigma=3"}
	if !slices.Equal(got, want) {
		t.Errorf("PointAt = %q, want %q", got, want)
	}
}
