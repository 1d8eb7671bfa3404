import { spawnSync } from 'node:child_process';

/**
 * Runs a command on a pseudo-terminal (stdin, stdout and stderr all a terminal, as for a person),
 * typing each `[pattern, text]` answer once when its pattern shows up in the output, and pressing
 * Ctrl-C after `ctrlCAfterMs` when given. Returns the exit code (128 + n for a signal) and the
 * whole transcript (stdout and stderr merged, as a terminal shows them).
 */
const PTY_DRIVER = String.raw`
import json, os, pty, re, select, signal, sys, time
spec = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    for k, v in spec["env"].items():
        os.environ[k] = v
    for k in list(os.environ):
        if k not in spec["env"] and k not in ("PATH", "LANG"):
            del os.environ[k]
    os.chdir(spec["cwd"])
    os.execvp(spec["argv"][0], spec["argv"])
out = b""
answers = [[re.compile(p.encode()), t.encode(), False] for p, t in spec["answers"]]
start = time.time()
ctrl_c = spec["ctrlCAfterMs"]
sent = False
status = None
while time.time() - start < spec["timeoutMs"] / 1000:
    if ctrl_c is not None and not sent and (time.time() - start) * 1000 >= ctrl_c:
        os.write(fd, b"\x03")
        sent = True
    r, _, _ = select.select([fd], [], [], 0.05)
    if r:
        try:
            data = os.read(fd, 4096)
        except OSError:
            data = b""
        if data:
            out += data
            for a in answers:
                if not a[2] and a[0].search(out):
                    time.sleep(0.1)
                    os.write(fd, a[1])
                    a[2] = True
            continue
    done, st = os.waitpid(pid, os.WNOHANG)
    if done != 0:
        status = st
        break
if status is None:
    os.kill(pid, signal.SIGKILL)
    status = os.waitpid(pid, 0)[1]
try:
    while True:
        r, _, _ = select.select([fd], [], [], 0.05)
        if not r:
            break
        data = os.read(fd, 4096)
        if not data:
            break
        out += data
except OSError:
    pass
sys.stdout.write(out.decode("utf-8", "replace"))
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
`;

export interface PtyRun {
  code: number | null;
  transcript: string;
}

export function runOnTerminal(
  argv: string[],
  opts: {
    env: NodeJS.ProcessEnv;
    cwd: string;
    answers?: [RegExp, string][];
    ctrlCAfterMs?: number;
    timeoutMs?: number;
  },
): PtyRun {
  const env = Object.fromEntries(Object.entries(opts.env).filter((e): e is [string, string] => e[1] !== undefined));
  const spec = {
    argv,
    env: { ...env, TERM: 'xterm' },
    cwd: opts.cwd,
    answers: (opts.answers ?? []).map(([re, text]) => [re.source, text]),
    ctrlCAfterMs: opts.ctrlCAfterMs ?? null,
    timeoutMs: opts.timeoutMs ?? 30_000,
  };
  const r = spawnSync('python3', ['-c', PTY_DRIVER, JSON.stringify(spec)], {
    encoding: 'utf8',
    timeout: spec.timeoutMs + 10_000,
  });
  return { code: r.status, transcript: r.stdout };
}
