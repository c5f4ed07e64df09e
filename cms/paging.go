package cms

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"

	"golang.org/x/sync/errgroup"
)

// CMS pages every collection with offset/limit and caps the page at its own size whatever limit
// says ("Most endpoints only return the first 10 or 20 elements", cms-api.md §2.2). total is the
// full count, but the list is not a snapshot: total may change between pages and a page may be
// shorter than asked. fetchAll therefore learns the page size from the first page, fetches the
// rest concurrently, then fills any gap sequentially, and de-duplicates by id.

// maxPageRequests stops a server whose total keeps growing from paging us forever.
const maxPageRequests = 5000

// pageDecoder decodes one page into the list's total (-1 when absent) and its items.
type pageDecoder[T any] func(body []byte) (total int, items []T, err error)

type page[T any] struct {
	offset int
	total  int
	items  []T
}

// lister fetches the pages of one collection.
type lister[T any] struct {
	n        *Node
	segs     []string
	query    url.Values
	decode   pageDecoder[T]
	id       func(T) string
	requests int
	mu       sync.Mutex // guards requests during the concurrent phase
}

// fetchAll returns every item of the collection at segs, in list order, each id once.
func fetchAll[T any](ctx context.Context, n *Node, query url.Values, decode pageDecoder[T],
	id func(T) string, segs ...string) ([]T, error) {
	l := &lister[T]{n: n, segs: segs, query: query, decode: decode, id: id}
	first, err := l.fetch(ctx, 0, 0)
	if err != nil {
		return nil, err
	}
	pages, latest := []page[T]{first}, first.total
	if size := len(first.items); size > 0 && first.total > size {
		rest, err := l.fetchRest(ctx, size, first.total)
		if err != nil {
			return nil, err
		}
		pages = append(pages, rest...)
		for _, p := range rest {
			latest = max(latest, p.total)
		}
	}
	pages, err = l.fillGaps(ctx, pages, latest)
	if err != nil {
		return nil, err
	}
	return merge(pages, id), nil
}

// fetchRest fetches the pages at size, 2·size, … below total concurrently; the node's semaphore
// bounds how many are in flight, and the group limit keeps idle goroutines from piling up.
// The page count is computed, not listed, and refused before anything is allocated for it:
// the total comes from the node, and one page of one item claiming millions once ran the
// process out of memory.
func (l *lister[T]) fetchRest(ctx context.Context, size, total int) ([]page[T], error) {
	pages := (total - 1) / size // the pages after the first: ceil((total-size)/size)
	if pages > maxPageRequests {
		return nil, l.runaway()
	}
	out := make([]page[T], pages)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(l.n.cfg.MaxConcurrency)
	for i := range pages {
		g.Go(func() error {
			p, err := l.fetch(gctx, (i+1)*size, size)
			out[i] = p
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// fillGaps walks the pages in offset order and, wherever a page came back shorter than the
// distance to the next one (or the list grew past the last one), fetches sequentially from the
// first missing offset, advancing by the items received, until the gap is closed, the latest
// total is reached, or a page is empty.
func (l *lister[T]) fillGaps(ctx context.Context, pages []page[T], latest int) ([]page[T], error) {
	var out []page[T]
	known := map[string]bool{}
	for _, p := range pages {
		for _, it := range p.items {
			known[l.id(it)] = true
		}
	}
	for i, p := range pages {
		out = append(out, p)
		if len(p.items) == 0 {
			continue
		}
		next := -1 // no next page: fill up to the latest total
		if i+1 < len(pages) {
			next = pages[i+1].offset
		}
		seen := map[int]bool{}
		for end := p.offset + len(p.items); next < 0 || end < next; {
			if latest >= 0 && end >= latest {
				break
			}
			if latest < 0 && seen[end] {
				break
			}
			seen[end] = true
			q, err := l.fetch(ctx, end, 0)
			if err != nil {
				return nil, err
			}
			if q.total >= 0 {
				latest = q.total
			}
			if len(q.items) == 0 || (latest < 0 && !l.addNew(known, q.items)) {
				break // without a total, a page of nothing new means the server ignores offset
			}
			out = append(out, q)
			end += len(q.items)
		}
	}
	return out, nil
}

// addNew records the ids of items and reports whether any was new.
func (l *lister[T]) addNew(known map[string]bool, items []T) bool {
	added := false
	for _, it := range items {
		if k := l.id(it); !known[k] {
			known[k], added = true, true
		}
	}
	return added
}

// fetch GETs one page; limit 0 leaves the page size to the server.
func (l *lister[T]) fetch(ctx context.Context, offset, limit int) (page[T], error) {
	l.mu.Lock()
	l.requests++
	runaway := l.requests > maxPageRequests
	l.mu.Unlock()
	if runaway {
		return page[T]{}, l.runaway()
	}
	q := url.Values{}
	for k, v := range l.query {
		q[k] = v
	}
	if offset > 0 {
		q.Set("offset", strconv.Itoa(offset))
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	resp, err := l.n.send(ctx, request{method: http.MethodGet, segs: l.segs, query: q, page: true})
	if err != nil {
		return page[T]{}, err
	}
	total, items, err := l.decode(resp.body)
	if err == nil {
		err = checkTotal(total)
	}
	if err != nil {
		return page[T]{}, l.n.transportErr(http.MethodGet, l.path(), resp.status, err, false)
	}
	return page[T]{offset: offset, total: total, items: items}, nil
}

// checkTotal refuses a list total above maxListTotal: paging trusts the total to size its
// fan-out, and it comes from the node.
func checkTotal(total int) error {
	if total > maxListTotal {
		return fmt.Errorf("%w: list total %d is more than a CMS node holds (at most %d)",
			ErrMalformedResponse, total, maxListTotal)
	}
	return nil
}

func (l *lister[T]) path() string { return l.n.endpoint(nil, l.segs...).EscapedPath() }

func (l *lister[T]) runaway() error {
	return l.n.transportErr(http.MethodGet, l.path(), 0,
		fmt.Errorf("%w: list did not end after %d page requests", ErrMalformedResponse, maxPageRequests), false)
}

// merge concatenates the pages in order, keeping the first occurrence of each id.
func merge[T any](pages []page[T], id func(T) string) []T {
	seen := map[string]bool{}
	var out []T
	for _, p := range pages {
		for _, it := range p.items {
			k := id(it)
			if k != "" && seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, it)
		}
	}
	if out == nil {
		out = []T{}
	}
	return out
}
