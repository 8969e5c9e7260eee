package attention

import "errors"

// ErrInvalidParams is wrapped by every error about parameters or weights
// that cannot be used: a bad shape, a head count that does not divide d, an
// out-of-range option.
var ErrInvalidParams = errors.New("invalid parameters")
