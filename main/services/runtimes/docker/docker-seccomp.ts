// The seccomp profile of agent containers on Docker (x86_64): every syscall but a denylist, and no setuid/setgid bit set by the agent.
/**
 * Every x86_64 system call of Linux 6.1's uapi table (`asm/unistd_64.h`, numbers 0–450), by name. Calls
 * newer than this table (e.g. `fchmodat2`, 452) are refused by the profile's default action, so a new
 * call can never slip past the rules below.
 */
const X86_64_SYSCALLS = `
  read write open close stat fstat lstat poll lseek mmap mprotect munmap brk rt_sigaction rt_sigprocmask
  rt_sigreturn ioctl pread64 pwrite64 readv writev access pipe select sched_yield mremap msync mincore
  madvise shmget shmat shmctl dup dup2 pause nanosleep getitimer alarm setitimer getpid sendfile socket
  connect accept sendto recvfrom sendmsg recvmsg shutdown bind listen getsockname getpeername socketpair
  setsockopt getsockopt clone fork vfork execve exit wait4 kill uname semget semop semctl shmdt msgget
  msgsnd msgrcv msgctl fcntl flock fsync fdatasync truncate ftruncate getdents getcwd chdir fchdir
  rename mkdir rmdir creat link unlink symlink readlink chmod fchmod chown fchown lchown umask
  gettimeofday getrlimit getrusage sysinfo times ptrace getuid syslog getgid setuid setgid geteuid
  getegid setpgid getppid getpgrp setsid setreuid setregid getgroups setgroups setresuid getresuid
  setresgid getresgid getpgid setfsuid setfsgid getsid capget capset rt_sigpending rt_sigtimedwait
  rt_sigqueueinfo rt_sigsuspend sigaltstack utime mknod uselib personality ustat statfs fstatfs sysfs
  getpriority setpriority sched_setparam sched_getparam sched_setscheduler sched_getscheduler
  sched_get_priority_max sched_get_priority_min sched_rr_get_interval mlock munlock mlockall munlockall
  vhangup modify_ldt pivot_root _sysctl prctl arch_prctl adjtimex setrlimit chroot sync acct
  settimeofday mount umount2 swapon swapoff reboot sethostname setdomainname iopl ioperm create_module
  init_module delete_module get_kernel_syms query_module quotactl nfsservctl getpmsg putpmsg afs_syscall
  tuxcall security gettid readahead setxattr lsetxattr fsetxattr getxattr lgetxattr fgetxattr listxattr
  llistxattr flistxattr removexattr lremovexattr fremovexattr tkill time futex sched_setaffinity
  sched_getaffinity set_thread_area io_setup io_destroy io_getevents io_submit io_cancel get_thread_area
  lookup_dcookie epoll_create epoll_ctl_old epoll_wait_old remap_file_pages getdents64 set_tid_address
  restart_syscall semtimedop fadvise64 timer_create timer_settime timer_gettime timer_getoverrun
  timer_delete clock_settime clock_gettime clock_getres clock_nanosleep exit_group epoll_wait epoll_ctl
  tgkill utimes vserver mbind set_mempolicy get_mempolicy mq_open mq_unlink mq_timedsend mq_timedreceive
  mq_notify mq_getsetattr kexec_load waitid add_key request_key keyctl ioprio_set ioprio_get
  inotify_init inotify_add_watch inotify_rm_watch migrate_pages openat mkdirat mknodat fchownat
  futimesat newfstatat unlinkat renameat linkat symlinkat readlinkat fchmodat faccessat pselect6 ppoll
  unshare set_robust_list get_robust_list splice tee sync_file_range vmsplice move_pages utimensat
  epoll_pwait signalfd timerfd_create eventfd fallocate timerfd_settime timerfd_gettime accept4
  signalfd4 eventfd2 epoll_create1 dup3 pipe2 inotify_init1 preadv pwritev rt_tgsigqueueinfo
  perf_event_open recvmmsg fanotify_init fanotify_mark prlimit64 name_to_handle_at open_by_handle_at
  clock_adjtime syncfs sendmmsg setns getcpu process_vm_readv process_vm_writev kcmp finit_module
  sched_setattr sched_getattr renameat2 seccomp getrandom memfd_create kexec_file_load bpf execveat
  userfaultfd membarrier mlock2 copy_file_range preadv2 pwritev2 pkey_mprotect pkey_alloc pkey_free
  statx io_pgetevents rseq pidfd_send_signal io_uring_setup io_uring_enter io_uring_register open_tree
  move_mount fsopen fsconfig fsmount fspick pidfd_open clone3 close_range openat2 pidfd_getfd faccessat2
  process_madvise epoll_pwait2 mount_setattr quotactl_fd landlock_create_ruleset landlock_add_rule
  landlock_restrict_self memfd_secret process_mrelease futex_waitv set_mempolicy_home_node
`
  .trim()
  .split(/\s+/);

/**
 * Calls an agent never gets: mounts and namespaces (a user namespace would hand it capabilities
 * again), kernel keyrings (not namespaced), bpf, userfaultfd, perf, io_uring, modules, kexec, reboot,
 * swap, accounting, quotas, clocks, raw I/O ports, file handles, NUMA policy, other processes' file
 * descriptors and obsolete calls. Most of them need a capability the container no longer has anyway;
 * refusing them also closes their unprivileged kernel surface.
 */
const DENIED = new Set(
  `mount umount2 pivot_root chroot fsopen fsconfig fsmount fspick move_mount open_tree mount_setattr
  unshare setns add_key request_key keyctl bpf userfaultfd perf_event_open fanotify_init
  io_uring_setup io_uring_enter io_uring_register kexec_load kexec_file_load init_module finit_module
  delete_module create_module query_module get_kernel_syms reboot swapon swapoff acct quotactl
  quotactl_fd nfsservctl lookup_dcookie settimeofday clock_settime clock_adjtime iopl ioperm uselib
  ustat sysfs _sysctl afs_syscall tuxcall security vserver getpmsg putpmsg open_by_handle_at
  name_to_handle_at kcmp pidfd_getfd process_madvise mbind set_mempolicy get_mempolicy move_pages
  migrate_pages set_mempolicy_home_node syslog vhangup sethostname setdomainname`.split(/\s+/),
);

/** S_ISUID | S_ISGID. */
const SET_ID_BITS = 0o6000;
/** O_CREAT | __O_TMPFILE: the `open` flags that create a file with the `mode` argument. */
const CREATING = 0o100 | 0o20000000;
/** Every CLONE_NEW* flag (Docker's own mask, 0x7E020000): a clone that makes a namespace is refused. */
const CLONE_NEW_ANY = 0x7e020000;

type Op = 'SCMP_CMP_MASKED_EQ' | 'SCMP_CMP_EQ' | 'SCMP_CMP_LT' | 'SCMP_CMP_GT';
type Arg = { index: number; value: number; valueTwo: number; op: Op };
type Rule = { names: string[]; action: 'SCMP_ACT_ALLOW' | 'SCMP_ACT_ERRNO'; errnoRet?: number; args?: Arg[] };

/** Allowed when argument `index` compares with `value` by `op` (for MASKED_EQ: has none of its bits). */
const when = (names: string[], index: number, op: Op, value: number): Rule => ({
  names,
  action: 'SCMP_ACT_ALLOW',
  args: [{ index, value, valueTwo: 0, op }],
});

/** Calls allowed only under a condition on their arguments (the rest of each is refused). */
const CONDITIONAL: Rule[] = [
  // No setuid/setgid bit set by chmod, and none given to a file created by mknod, creat or open.
  when(['chmod', 'fchmod', 'mknod', 'creat'], 1, 'SCMP_CMP_MASKED_EQ', SET_ID_BITS),
  when(['fchmodat', 'mknodat'], 2, 'SCMP_CMP_MASKED_EQ', SET_ID_BITS),
  when(['open'], 1, 'SCMP_CMP_MASKED_EQ', CREATING),
  when(['open'], 2, 'SCMP_CMP_MASKED_EQ', SET_ID_BITS),
  when(['openat'], 2, 'SCMP_CMP_MASKED_EQ', CREATING),
  when(['openat'], 3, 'SCMP_CMP_MASKED_EQ', SET_ID_BITS),
  // Threads and processes, never new namespaces.
  when(['clone'], 0, 'SCMP_CMP_MASKED_EQ', CLONE_NEW_ANY),
  // Sockets of every family but AF_ALG (38) and AF_VSOCK (40), as Docker's default profile.
  when(['socket'], 0, 'SCMP_CMP_LT', 38),
  when(['socket'], 0, 'SCMP_CMP_EQ', 39),
  when(['socket'], 0, 'SCMP_CMP_GT', 40),
  // personality(): the harmless personas only (Linux, 32-bit, UNAME26 variants, query).
  ...[0, 8, 0x20000, 0x20008, 0xffffffff].map((v) => when(['personality'], 0, 'SCMP_CMP_EQ', v)),
];

/** Calls that answer ENOSYS, so the C library falls back to an older call the rules can inspect. */
const NOT_IMPLEMENTED = ['clone3', 'openat2'];

/**
 * The seccomp profile (Docker's JSON format, `SecurityOpt: ["seccomp=<json>"]`) of an agent container on
 * x86_64: refuse by default (EPERM), allow every call of {@link X86_64_SYSCALLS} except the denied ones
 * and those with argument rules, which are allowed only when harmless. It replaces Docker's default
 * profile, which would allow `chmod u+s`; with every capability dropped, what Docker's default refuses
 * beyond this list needs a capability the agent no longer has (docs/decisions/010-agent-containment.md).
 */
export function agentSeccompProfile(): string {
  const conditional = new Set([...CONDITIONAL.flatMap((r) => r.names), ...NOT_IMPLEMENTED]);
  const allowed = X86_64_SYSCALLS.filter((n) => !DENIED.has(n) && !conditional.has(n));
  const profile = {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 1,
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [
      { names: allowed, action: 'SCMP_ACT_ALLOW' },
      ...CONDITIONAL,
      { names: NOT_IMPLEMENTED, action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
    ],
  };
  return JSON.stringify(profile);
}

/** Whether the profile fits the engine's architecture (Docker's `Architecture`: `x86_64`). */
export function seccompApplies(architecture: string): boolean {
  return architecture === 'x86_64' || architecture === 'amd64';
}
