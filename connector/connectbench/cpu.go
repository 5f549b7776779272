package connectbench

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of the CPU times in /proc/PID/stat (USER_HZ, 100
// on every Linux the bench runs on).
const clockTick = 10 * time.Millisecond

// cpuTime returns the CPU time (user + system) used so far by this process
// and by the processes of process group pgid (the emulator; 0 for none).
// Where /proc is missing it returns zero, and the report shows no CPU.
func cpuTime(pgid int) time.Duration {
	total := procCPU("self")
	if pgid <= 0 {
		return total
	}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range stats {
		pid := filepath.Base(filepath.Dir(f))
		if fields := procStat(pid); len(fields) > 13 && fields[2] == strconv.Itoa(pgid) {
			total += ticks(fields[11]) + ticks(fields[12])
		}
	}
	return total
}

func procCPU(pid string) time.Duration {
	fields := procStat(pid)
	if len(fields) <= 13 {
		return 0
	}
	return ticks(fields[11]) + ticks(fields[12])
}

// procStat returns the fields of /proc/PID/stat after the command name:
// [0] state, [1] ppid, [2] pgrp, ... [11] utime, [12] stime.
func procStat(pid string) []string {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return nil
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(s[i+1:])
}

func ticks(s string) time.Duration {
	n, _ := strconv.ParseInt(s, 10, 64)
	return time.Duration(n) * clockTick
}
