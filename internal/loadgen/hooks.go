package loadgen

import "time"

// Hooks let a caller take part in a run.
type Hooks struct {
	// Connected is called when the connect phase is over with the number of
	// this process's connections up; it returns when traffic may start (a
	// multi-process run waits there for every process) and the Clock time
	// to start at, so that all processes share one timetable (0: now).
	// A non-nil error aborts the run. nil: start at once.
	Connected func(up int) (start int64, err error)
	// Embedded tells the result that the target server runs in this process.
	Embedded bool
}

// Snapshot is a run's progress so far.
type Snapshot struct {
	Phase     string        `json:"phase"`
	Elapsed   time.Duration `json:"elapsed"`
	Target    int           `json:"target"`
	Up        int64         `json:"up"`
	Settled   int64         `json:"settled"`
	Failed    int64         `json:"failed"`
	Sent      int64         `json:"sent"`
	Done      int64         `json:"done"`
	Delivered int64         `json:"delivered"`
	// AllDone and AllDelivered count completions and copies in every
	// phase, warm-up and drain included (Done and Delivered: the window's
	// only): the progress line's rates.
	AllDone      int64         `json:"all_done"`
	AllDelivered int64         `json:"all_delivered"`
	Errors       int64         `json:"errors"`
	Outstanding  int64         `json:"outstanding"`
	P99          time.Duration `json:"p99"`
}
