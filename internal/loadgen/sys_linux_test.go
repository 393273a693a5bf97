//go:build linux

package loadgen

import (
	"os"
	"testing"
)

// The server's CPU is read as user and system time; their sum is PidCPU.
func TestPidCPUSplit(t *testing.T) {
	u, s := PidCPUSplit(os.Getpid())
	if u < 0 || s < 0 {
		t.Fatalf("PidCPUSplit = %d, %d", u, s)
	}
	if all := PidCPU(os.Getpid()); all < u+s {
		t.Fatalf("PidCPU %d < user %d + sys %d read before it", all, u, s)
	}
	if u, s := PidCPUSplit(-1); u != -1 || s != -1 {
		t.Fatalf("PidCPUSplit(-1) = %d, %d", u, s)
	}
	var st ServerStats
	st.setCPU(cpuTimes{1e9, 2e9}, cpuTimes{3e9, 2.5e9})
	if st.UserCPU != 2 || st.SysCPU != 0.5 || st.CPU != 2.5 {
		t.Fatalf("setCPU: %+v", st)
	}
}
