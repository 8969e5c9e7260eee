// Package check decodes the deployment manifests in samples/deploy
// strictly into the real API types (Kubernetes batch/v1 Job and CronJob,
// Argo Workflows v1alpha1 Workflow) and checks them against the tool's
// contract: exit codes and retry rules, security context, resources
// against --memory-limit, flag placement, and object-storage URLs instead
// of shared volumes.
//
// It is a module of its own so that the Kubernetes and Argo dependencies
// never reach contextualize's go.mod. Run it with
//
//	cd samples/deploy/check && go test ./...
//
// Manifests, Load and Runs are also the starting point of the end-to-end
// test that runs each container's arguments against the binary: Runs
// expands a manifest into the invocations a cluster would make (one per
// index of an Indexed Job, one per shard of the Argo fan-out, Argo
// parameters substituted), and PointAt points their URLs at a test bucket.
package check
