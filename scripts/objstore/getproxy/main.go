// Command getproxy is a reverse proxy in front of an S3-compatible server
// for the object-storage read benchmark (scripts/objstore/bench_read.sh):
// it counts the successful GET requests and the bytes they return, and can
// hold every request for a fixed delay first, as a cloud's first-byte
// latency would. On SIGINT or SIGTERM it prints "gets N bytes M" and exits.
//
//	go run ./scripts/objstore/getproxy -target http://127.0.0.1:19070 -listen 127.0.0.1:19099 -delay 20ms
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	target := flag.String("target", "http://127.0.0.1:19070", "the server's endpoint")
	listen := flag.String("listen", "127.0.0.1:19099", "address to listen on")
	delay := flag.Duration("delay", 0, "added before every request is forwarded")
	flag.Parse()
	u, err := url.Parse(*target)
	if err != nil {
		log.Fatal(err)
	}
	var gets, bytes atomic.Int64
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(r *http.Response) error {
		if r.Request.Method == http.MethodGet && r.StatusCode/100 == 2 {
			gets.Add(1)
			bytes.Add(r.ContentLength)
		}
		return nil
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(*delay)
		rp.ServeHTTP(w, r)
	}))
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	fmt.Printf("gets %d bytes %d\n", gets.Load(), bytes.Load())
}
