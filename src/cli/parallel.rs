//! Ordered parallel map over a stream of items: `jobs` threads take items in order as the
//! caller's iterator produces them, results are emitted strictly in input order, and no
//! thread takes an item more than `window` items ahead of the last one emitted, so at most
//! `window` results wait in memory.
//!
//! The iterator runs on the calling thread while the workers already work (a directory walk
//! then overlaps the fixing of the files it has found). There is no emitting thread: the
//! worker that completes the oldest missing result emits it and every result queued behind it,
//! so a hand-over costs no wake-up of another thread. With many small files each worker
//! claims runs of up to `batch` consecutive items, so it takes the lock once per run.
//!
//! An emitted item and its result go back to the worker that made them to be dropped there:
//! glibc's malloc locks the arena a block came from, so blocks freed by the other thread end
//! up shared between the threads' arenas and every later `realloc` contends for the lock
//! (measured on 10k small files: ~1,600 futex calls from malloc per run, gone with this).

use std::collections::VecDeque;
use std::ops::ControlFlow;
use std::sync::{Condvar, Mutex, MutexGuard};

/// Items read ahead from the iterator and not yet claimed, at most (the iterator waits).
const QUEUE: usize = 4096;

struct State<T, R> {
    /// Read from the iterator, not claimed yet; the front one has index `claimed`.
    queue: VecDeque<T>,
    /// The iterator is finished.
    closed: bool,
    claimed: usize,
    /// Results not emitted yet, by index from `taken`, with the worker that made them.
    done: VecDeque<Option<(T, R, usize)>>,
    /// Results taken from `done` to be emitted (ahead of `emitted` while that happens).
    taken: usize,
    /// Emitted items and results to be dropped by the worker that made them.
    dead: Vec<Vec<(T, R)>>,
    /// Items emitted: the next one to emit has this index.
    emitted: usize,
    /// A worker is emitting (outside the lock).
    emitting: bool,
    stop: bool,
    /// Workers waiting on `items_cv` (for the iterator) and on `window_cv` (for the oldest
    /// results to be emitted), and the reader waiting on `room_cv`: a notification without a
    /// waiter is a system call for nothing.
    wait_items: usize,
    wait_window: usize,
    reader_waits: bool,
}

/// What the workers share.
struct Shared<T, R, W, E> {
    state: Mutex<State<T, R>>,
    items_cv: Condvar,
    window_cv: Condvar,
    room_cv: Condvar,
    jobs: usize,
    window: usize,
    batch: usize,
    work: W,
    /// Only the worker that set `emitting` takes it, so this lock is never contended.
    emit: Mutex<E>,
}

/// Run `work` on every item of `items` with `jobs` threads and call `emit` with each item and
/// its result in item order (by reference: they are dropped by the thread that made them).
/// `work` may get an emitted result of the same thread back, to reuse its buffers. `emit` returning `Break` stops the run: items not yet started
/// are never started, and the iterator is not read further.
pub fn ordered<T, R, I, W, E>(items: I, jobs: usize, window: usize, batch: usize, work: W, emit: E)
where
    I: IntoIterator<Item = T>,
    T: Send,
    R: Send,
    W: Fn(&T, Option<R>) -> R + Sync,
    E: FnMut(&T, &mut R) -> ControlFlow<()> + Send,
{
    let jobs = jobs.max(1);
    let window = window.max(1);
    let batch = batch.clamp(1, window);
    let sh = Shared {
        state: Mutex::new(State {
            queue: VecDeque::new(),
            closed: false,
            claimed: 0,
            done: VecDeque::new(),
            taken: 0,
            dead: (0..jobs).map(|_| Vec::new()).collect(),
            emitted: 0,
            emitting: false,
            stop: false,
            wait_items: 0,
            wait_window: 0,
            reader_waits: false,
        }),
        items_cv: Condvar::new(),
        window_cv: Condvar::new(),
        room_cv: Condvar::new(),
        jobs,
        window,
        batch,
        work,
        emit: Mutex::new(emit),
    };
    std::thread::scope(|s| {
        for me in 0..jobs {
            let sh = &sh;
            s.spawn(move || worker(sh, me));
        }
        // Also if the iterator panics: the workers must not wait for more items.
        let _close = CloseOnDrop(&sh);
        for item in items {
            let mut st = lock(&sh.state);
            while st.queue.len() >= QUEUE && !st.stop {
                st.reader_waits = true;
                st = wait(&sh.room_cv, st);
            }
            st.reader_waits = false;
            if st.stop {
                break;
            }
            st.queue.push_back(item);
            if st.wait_items > 0 {
                sh.items_cv.notify_one();
            }
        }
    });
}

fn worker<T, R, W, E>(sh: &Shared<T, R, W, E>, me: usize)
where
    W: Fn(&T, Option<R>) -> R,
    E: FnMut(&T, &mut R) -> ControlFlow<()>,
{
    let Shared {
        state,
        items_cv,
        window_cv,
        room_cv,
        jobs,
        window,
        batch,
        work,
        emit,
    } = sh;
    let (jobs, window, batch) = (*jobs, *window, *batch);
    let _guard = PanicGuard(sh);
    let mut run: Vec<(usize, T)> = Vec::with_capacity(batch);
    let mut results: Vec<(usize, T, R)> = Vec::with_capacity(batch);
    let mut ready: Vec<(T, R, usize)> = Vec::new();
    let mut dead: Vec<(T, R)> = Vec::new();
    loop {
        {
            let mut st = lock(state);
            std::mem::swap(&mut dead, &mut st.dead[me]);
            loop {
                if st.stop || (st.closed && st.queue.is_empty()) {
                    return;
                }
                if st.queue.is_empty() {
                    st.wait_items += 1;
                    st = wait(items_cv, st);
                    st.wait_items -= 1;
                } else if st.claimed >= st.emitted + window {
                    st.wait_window += 1;
                    st = wait(window_cv, st);
                    st.wait_window -= 1;
                } else {
                    break;
                }
            }
            // A run of consecutive items, so that a finished run can usually be emitted at
            // once instead of waiting for items another worker holds. A short queue is
            // shared out rather than taken whole by the first worker.
            let n = batch
                .min(st.queue.len().div_ceil(jobs))
                .min(st.emitted + window - st.claimed);
            let first = st.claimed;
            run.extend((first..first + n).zip(st.queue.drain(..n)));
            st.claimed += n;
            if st.reader_waits && st.queue.len() < QUEUE / 2 {
                room_cv.notify_one();
            }
        }
        results.extend(run.drain(..).map(|(i, t)| {
            let r = work(&t, dead.pop().map(|(_, r)| r));
            (i, t, r)
        }));
        dead.clear();
        let mut st = lock(state);
        for (i, t, r) in results.drain(..) {
            let k = i - st.taken;
            if st.done.len() <= k {
                st.done.resize_with(k + 1, || None);
            }
            st.done[k] = Some((t, r, me));
        }
        if st.emitting || st.stop {
            // The emitting worker will find these before it lets go.
            continue;
        }
        st.emitting = true;
        loop {
            while let Some(Some(_)) = st.done.front() {
                if let Some(Some(d)) = st.done.pop_front() {
                    ready.push(d);
                    st.taken += 1;
                }
            }
            if ready.is_empty() {
                break;
            }
            let n = ready.len();
            drop(st);
            let mut stop = false;
            {
                let mut emit = lock(emit);
                for (t, r, _) in &mut ready {
                    if (*emit)(t, r).is_break() {
                        stop = true;
                        break;
                    }
                }
            }
            st = lock(state);
            st.emitted += n;
            for (t, r, owner) in ready.drain(..) {
                st.dead[owner].push((t, r));
            }
            if stop {
                st.stop = true;
                room_cv.notify_all();
                items_cv.notify_all();
            }
            if st.wait_window > 0 {
                window_cv.notify_all();
            }
            if stop {
                break;
            }
        }
        st.emitting = false;
    }
}

/// A worker that panics stops the run (the others would otherwise wait forever for its
/// results), and the panic then reaches the caller through the thread scope.
struct PanicGuard<'a, T, R, W, E>(&'a Shared<T, R, W, E>);

impl<T, R, W, E> Drop for PanicGuard<'_, T, R, W, E> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            lock(&self.0.state).stop = true;
            self.0.wake_all();
        }
    }
}

struct CloseOnDrop<'a, T, R, W, E>(&'a Shared<T, R, W, E>);

impl<T, R, W, E> Drop for CloseOnDrop<'_, T, R, W, E> {
    fn drop(&mut self) {
        lock(&self.0.state).closed = true;
        self.0.wake_all();
    }
}

impl<T, R, W, E> Shared<T, R, W, E> {
    fn wake_all(&self) {
        self.items_cv.notify_all();
        self.window_cv.notify_all();
        self.room_cv.notify_all();
    }
}

fn lock<S>(m: &Mutex<S>) -> MutexGuard<'_, S> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn wait<'a, S>(cv: &Condvar, g: MutexGuard<'a, S>) -> MutexGuard<'a, S> {
    cv.wait(g).unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn results_come_in_input_order_whatever_the_finishing_order() {
        let items: Vec<u64> = (0..50).collect();
        let mut got = Vec::new();
        ordered(
            items,
            4,
            8,
            3,
            |&i, _| {
                // Early items finish last.
                std::thread::sleep(Duration::from_millis((50 - i) % 7));
                i * 10
            },
            |&i, &mut r| {
                got.push((i as usize, r));
                ControlFlow::Continue(())
            },
        );
        let want: Vec<(usize, u64)> = (0..50).map(|i| (i as usize, i * 10)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn no_worker_runs_more_than_the_window_ahead() {
        let items: Vec<usize> = (0..40).collect();
        let started = AtomicUsize::new(0);
        let mut max_ahead = 0;
        ordered(
            items,
            3,
            4,
            2,
            |_, _| {
                started.fetch_add(1, Ordering::SeqCst);
            },
            |&idx: &usize, _| {
                std::thread::sleep(Duration::from_millis(1));
                max_ahead = max_ahead.max(started.load(Ordering::SeqCst) - idx);
                ControlFlow::Continue(())
            },
        );
        assert!(max_ahead <= 4, "{max_ahead} started ahead of the output");
    }

    #[test]
    fn workers_start_before_the_iterator_ends() {
        // The iterator does not end until a result has been emitted, as a directory walk
        // that is still running while the first files are fixed.
        let emitted = AtomicUsize::new(0);
        let mut got = Vec::new();
        let items = (0..100usize).inspect(|&i| {
            if i == 50 {
                let t = std::time::Instant::now();
                while emitted.load(Ordering::SeqCst) == 0 {
                    assert!(t.elapsed() < Duration::from_secs(10), "nothing done yet");
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        });
        ordered(
            items,
            2,
            16,
            8,
            |&i, _| i + 1,
            |&i, &mut r| {
                emitted.fetch_add(1, Ordering::SeqCst);
                got.push((i, r));
                ControlFlow::Continue(())
            },
        );
        assert_eq!(got, (0..100).map(|i| (i, i + 1)).collect::<Vec<_>>());
    }

    #[test]
    fn a_slow_iterator_still_gives_every_result_in_order() {
        let items = (0..40u64).inspect(|&i| {
            if i % 5 == 0 {
                std::thread::sleep(Duration::from_millis(2));
            }
        });
        let mut got = Vec::new();
        ordered(
            items,
            3,
            6,
            2,
            |&i, _| {
                std::thread::sleep(Duration::from_micros((40 - i) * 50));
                i * 2
            },
            |&i, &mut r| {
                got.push((i, r));
                ControlFlow::Continue(())
            },
        );
        assert_eq!(got, (0..40).map(|i| (i, i * 2)).collect::<Vec<_>>());
    }

    #[test]
    fn break_stops_starting_new_items() {
        let items: Vec<usize> = (0..1000).collect();
        let started = AtomicUsize::new(0);
        ordered(
            items,
            2,
            4,
            4,
            |_, _| {
                started.fetch_add(1, Ordering::SeqCst);
            },
            |&idx: &usize, _| {
                if idx == 3 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            },
        );
        assert!(started.load(Ordering::SeqCst) < 20);
    }

    #[test]
    fn break_stops_reading_the_iterator() {
        let read = AtomicUsize::new(0);
        let items = (0..1_000_000usize).inspect(|_| {
            read.fetch_add(1, Ordering::SeqCst);
        });
        ordered(
            items,
            2,
            4,
            1,
            |_, _| std::thread::sleep(Duration::from_micros(100)),
            |&idx, _| {
                if idx == 3 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            },
        );
        // The read-ahead queue holds a few thousand; a million means the break went unseen.
        assert!(read.load(Ordering::SeqCst) < 2 * QUEUE, "{read:?}");
    }
}
