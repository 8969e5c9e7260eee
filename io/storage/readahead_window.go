package storage

import "sync"

// aheadPool is the process-wide state of every readAhead: one lock, the
// bytes held or in flight (at most limit for read-ahead; a read that waits
// for its own bytes may exceed it by a part), and the parts holding them.
var aheadPool struct {
	mu    sync.Mutex
	limit int64
	used  int64
	tick  int64
	held  map[*part]struct{}
	// free are buffers of dropped parts, reused by the next fetches (no
	// garbage for the collector to catch up with); they and the held
	// bytes stay within limit.
	free [][]byte
	idle int64 // bytes in free
}

// reserve takes n bytes of the window, dropping parts readers are done
// with to make room. A demanded part may take one part's size beyond the
// window before it drops parts fetched ahead but not read yet: another
// reader's next bytes, dropped, would be fetched again (a verification
// reading key chunks beside the value reader dropped a value part it had
// fetched ahead: TestObjstoreOptionalValueChunkFetchedOnce).
func reserve(n int64, demanded bool) bool {
	if aheadPool.held == nil {
		aheadPool.held = map[*part]struct{}{}
	}
	slack := int64(0)
	if demanded {
		slack = partSize(aheadPool.limit)
	}
	for aheadPool.used+n > aheadPool.limit {
		v := victim(false)
		if v == nil && aheadPool.used+n > aheadPool.limit+slack {
			v = victim(demanded)
		}
		if v == nil {
			if !demanded {
				return false
			}
			break
		}
		release(v)
	}
	aheadPool.used += n
	return true
}

// victim picks the least recently read fetched part that no reader is in:
// one every stream has passed, or (any) for a demanded part.
func victim(any bool) *part {
	var best *part
	bestDone := false
	for p := range aheadPool.held {
		if p.buf == nil || p.pins > 0 {
			continue
		}
		done, inside := p.state()
		if inside || !done && !any {
			continue
		}
		if best == nil || done && !bestDone || done == bestDone && p.used < best.used {
			best, bestDone = p, done
		}
	}
	return best
}

// state says whether every stream over p has read past it (done), and
// whether a reader is inside p (a stream hinted but not read yet is not
// in it: its parts may make room for a read that waits).
func (p *part) state() (done, inside bool) {
	done = true
	for _, s := range p.r.streams {
		if s.hi <= p.off || s.lo >= p.end() || s.pos >= s.hi {
			continue // not over p, or read to its end
		}
		if s.pos < p.end() {
			done = false
		}
		if s.pos > s.lo && p.off <= s.pos && s.pos < p.end() { // a reader is in it
			inside = true
		}
	}
	return done, inside
}

// release drops p's bytes, keeping its buffer for reuse unless a reader
// is still copying from it.
func release(p *part) {
	if _, ok := aheadPool.held[p]; ok {
		delete(aheadPool.held, p)
		aheadPool.used -= p.n
	}
	switch b := p.buf; {
	case b == nil, p.pins > 0: // a reader still copies (Close during ReadAt): left as it is
	case aheadPool.used+aheadPool.idle+int64(cap(b)) <= aheadPool.limit:
		aheadPool.free = append(aheadPool.free, b[:cap(b)])
		aheadPool.idle += int64(cap(b))
	default:
		freeBuf(b)
	}
	p.buf = nil
}

// allocBuf returns a buffer of n bytes, a free one if one is large
// enough but not twice as large (dropping free ones the window has no
// room left for).
func allocBuf(n int64) []byte {
	for i := len(aheadPool.free) - 1; i >= 0; i-- {
		b := aheadPool.free[i]
		if int64(len(b)) < n || int64(len(b)) > 2*n {
			continue
		}
		aheadPool.free = append(aheadPool.free[:i], aheadPool.free[i+1:]...)
		aheadPool.idle -= int64(len(b))
		return b[:n]
	}
	for len(aheadPool.free) > 0 && aheadPool.used+aheadPool.idle > aheadPool.limit {
		aheadPool.idle -= int64(len(aheadPool.free[0]))
		freeBuf(aheadPool.free[0])
		aheadPool.free = aheadPool.free[1:]
	}
	return newBuf(n)
}
