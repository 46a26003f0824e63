/* Ticks that arm a Lua state's limit hook from outside the script.
 *
 * While any count hook is set, Lua 5.4 sends every instruction through its hook check,
 * which halves the speed of a tight loop. Instead, each engine thread gets a POSIX timer
 * on its own CPU-time clock; the timer's signal is delivered to that thread, and the
 * handler arms the hook of the Lua state the thread is running, to fire once at the next
 * instruction. The hook (in sandbox.lua) checks the deadline and the call depth, then
 * disarms itself until the next tick. Lua documents lua_sethook as callable from a signal
 * handler (lua.c stops scripts on Ctrl-C this way): the thread is interrupted meanwhile,
 * so nothing races with the frames the call marks.
 *
 * The timer counts the thread's CPU time, so a thread waiting on the host or idle in a
 * pool gets no signals at all. Linux only (SIGEV_THREAD_ID); elsewhere the module loads
 * but `install` refuses, and the engine keeps its count hook.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#ifdef __linux__
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define LUA_MASKCOUNT (1 << 3)

typedef void (*sethook_fn)(void *state, void *hook, int mask, int count);

static sethook_fn lua_sethook_fn;   /* lua_sethook in lupa's extension */
static void *limit_hook;            /* ldblib's hook, which calls the sandbox's Lua hook */
static int tick_signal;             /* 0 until install */

/* Per thread: the Lua state it runs now (NULL between runs) and its timer. The handler
 * only reads `running_state`; `start` touches it first, so its storage exists before any
 * signal can arrive. */
static __thread void *volatile running_state;
static __thread timer_t thread_timer;
static __thread int has_timer;

static void on_tick(int signum, siginfo_t *info, void *context) {
    (void)signum; (void)info; (void)context;
    void *state = running_state;
    if (state != NULL) lua_sethook_fn(state, limit_hook, LUA_MASKCOUNT, 1);
}

static int handler_is_ours(void) {
    struct sigaction current;
    if (sigaction(tick_signal, NULL, &current) != 0) return 0;
    return (current.sa_flags & SA_SIGINFO) && current.sa_sigaction == on_tick;
}

static PyObject *install(PyObject *module, PyObject *args) {
    unsigned long long sethook_address, hook_address;
    int signum;
    (void)module;
    if (!PyArg_ParseTuple(args, "KKi", &sethook_address, &hook_address, &signum)) return NULL;
    if (tick_signal != 0) {
        if (signum != tick_signal || (uintptr_t)hook_address != (uintptr_t)limit_hook) {
            PyErr_SetString(PyExc_RuntimeError, "the ticks are installed with other values");
            return NULL;
        }
        Py_RETURN_NONE;
    }
    struct sigaction current;
    if (sigaction(signum, NULL, &current) != 0) return PyErr_SetFromErrno(PyExc_OSError);
    if (current.sa_handler != SIG_DFL) {
        PyErr_Format(PyExc_RuntimeError, "signal %d already has a handler", signum);
        return NULL;
    }
    lua_sethook_fn = (sethook_fn)(uintptr_t)sethook_address;
    limit_hook = (void *)(uintptr_t)hook_address;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_tick;
    action.sa_flags = SA_SIGINFO | SA_RESTART;
    sigfillset(&action.sa_mask);
    if (sigaction(signum, &action, NULL) != 0) return PyErr_SetFromErrno(PyExc_OSError);
    tick_signal = signum;
    Py_RETURN_NONE;
}

/* start(state, period_ns) -> the state this thread ran before (0 at the outermost entry).
 * Raises RuntimeError when the signal's handler was replaced since install: the caller
 * must then fall back to a count hook, or nothing would stop the script. */
static PyObject *start(PyObject *module, PyObject *args) {
    unsigned long long state;
    long period_ns;
    (void)module;
    if (!PyArg_ParseTuple(args, "Kl", &state, &period_ns)) return NULL;
    if (tick_signal == 0 || !handler_is_ours()) {
        PyErr_SetString(PyExc_RuntimeError, "the tick signal's handler is not installed");
        return NULL;
    }
    void *previous = running_state;
    if (!has_timer) {
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, tick_signal);
        pthread_sigmask(SIG_UNBLOCK, &mask, NULL);
        struct sigevent event;
        memset(&event, 0, sizeof event);
        event.sigev_notify = SIGEV_THREAD_ID;
        event.sigev_signo = tick_signal;
        event._sigev_un._tid = (pid_t)syscall(SYS_gettid);
        if (timer_create(CLOCK_THREAD_CPUTIME_ID, &event, &thread_timer) != 0)
            return PyErr_SetFromErrno(PyExc_OSError);
        has_timer = 1;
    }
    running_state = (void *)(uintptr_t)state;
    if (previous == NULL) {
        struct itimerspec spec;
        spec.it_interval.tv_sec = spec.it_value.tv_sec = period_ns / 1000000000L;
        spec.it_interval.tv_nsec = spec.it_value.tv_nsec = period_ns % 1000000000L;
        if (timer_settime(thread_timer, 0, &spec, NULL) != 0) {
            running_state = NULL;
            return PyErr_SetFromErrno(PyExc_OSError);
        }
    }
    return PyLong_FromVoidPtr(previous);
}

/* stop(previous): restore what `start` returned. At the outermost exit the timer stops
 * and a hook armed by a late tick is cleared, so it cannot fire in host-driven Lua code
 * between runs. */
static PyObject *stop(PyObject *module, PyObject *arg) {
    (void)module;
    void *previous = PyLong_AsVoidPtr(arg);
    if (previous == NULL && PyErr_Occurred()) return NULL;
    void *state = running_state;
    if (previous == NULL && has_timer) {
        struct itimerspec off;
        memset(&off, 0, sizeof off);
        timer_settime(thread_timer, 0, &off, NULL);
    }
    running_state = previous;
    if (previous == NULL && state != NULL) lua_sethook_fn(state, NULL, 0, 0);
    Py_RETURN_NONE;
}

/* release(): delete this thread's timer (before the thread ends). */
static PyObject *release(PyObject *module, PyObject *unused) {
    (void)module; (void)unused;
    running_state = NULL;
    if (has_timer) {
        timer_delete(thread_timer);
        has_timer = 0;
    }
    Py_RETURN_NONE;
}

#else /* not Linux */

static PyObject *install(PyObject *module, PyObject *args) {
    (void)module; (void)args;
    PyErr_SetString(PyExc_OSError, "Lua ticks need Linux (per-thread CPU-time timers)");
    return NULL;
}
static PyObject *start(PyObject *module, PyObject *args) { return install(module, args); }
static PyObject *stop(PyObject *module, PyObject *arg) { return install(module, arg); }
static PyObject *release(PyObject *module, PyObject *unused) { (void)unused; Py_RETURN_NONE; }

#endif

static PyMethodDef methods[] = {
    {"install", install, METH_VARARGS, "install(lua_sethook, hook, signum): set the handler."},
    {"start", start, METH_VARARGS, "start(state, period_ns) -> previous: tick this thread."},
    {"stop", stop, METH_O, "stop(previous): restore; at the outermost exit, stop ticking."},
    {"release", release, METH_NOARGS, "release(): delete this thread's timer."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_definition = {
    PyModuleDef_HEAD_INIT, "_lua_ticks", "Ticks that arm a Lua state's limit hook.", -1, methods,
};

PyMODINIT_FUNC PyInit__lua_ticks(void) { return PyModule_Create(&module_definition); }
