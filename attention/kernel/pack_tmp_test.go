//go:build !purego

package kernel

import (
	"testing"
	"time"
)

func TestPackTiming(t *testing.T) {
	n, k := 1024, 256
	b := make([]float32, 1024*1024)
	dst := make([]float32, n*k)
	var idx [32]int32
	for j := range idx {
		idx[j] = int32(j * 1024)
	}
	best := func(f func()) time.Duration {
		bd := time.Hour
		for r := 0; r < 20; r++ {
			t0 := time.Now()
			f()
			bd = min(bd, time.Since(t0))
		}
		return bd
	}
	dg := best(func() {
		for jr := 0; jr < n; jr += 32 {
			sgatherPack(k, &b[jr*1024], &idx[0], 0xffffffff, 0xffffffff, &dst[jr*k], 128)
		}
	})
	dc := best(func() {
		for jr := 0; jr < n; jr += 32 {
			scopyPack(k, &b[jr], 1024*4, 0xffffffff, &dst[jr*k])
		}
	})
	dt := best(func() {
		for jr := 0; jr < n; jr += 16 {
			stransPack16(k, &b[jr*1024], 4096, 0xffff, &dst[jr*k/2], 128)
		}
	})
	da2 := best(func() {
		for ir := 0; ir+14 <= n; ir += 14 {
			stransPack14(k, &b[ir*1024], 4096, 0x3fff, &dst[ir*k], 56)
		}
	})
	t.Logf("trans B pack %.2f ns/elem, trans A pack %.2f ns/elem", float64(dt.Nanoseconds())/float64(n*k), float64(da2.Nanoseconds())/float64(n*k))
	// A pack: 14-row panels
	da := best(func() {
		for ir := 0; ir+14 <= n; ir += 14 {
			sgatherPack(k, &b[ir*1024], &idx[0], 0x3fff, 0x3fff, &dst[ir*k], 56)
		}
	})
	kern := best(func() {
		for jr := 0; jr < 32*32; jr += 32 {
			for ir := 0; ir < 14*12; ir += 14 {
				sgemmKern14(k, &b[ir*k], &dst[jr*k], &b[500000+ir*1024+jr], 1024, false, 0xffffffff)
			}
		}
	})
	fl := 2.0 * 32 * 32 * 14 * 12 * float64(k)
	t.Logf("gather B pack %v (%.2f ns/elem), copy B pack %v (%.2f ns/elem), gather A pack %v (%.2f ns/elem); kernel block %v = %.1f GFLOPS",
		dg, float64(dg.Nanoseconds())/float64(n*k), dc, float64(dc.Nanoseconds())/float64(n*k), da, float64(da.Nanoseconds())/float64(n*k), kern, fl/float64(kern.Nanoseconds()))
}
