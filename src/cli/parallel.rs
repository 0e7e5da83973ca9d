//! Ordered parallel map over files: `jobs` threads take items in order, results are handed to
//! the caller strictly in input order, and no thread takes an item more than `window` items
//! ahead of the last one handed over, so at most `window` results wait in memory.
//!
//! With many small files, waking the caller for every result costs more than the work itself
//! (a context switch per file), so each worker claims runs of up to `batch` consecutive items
//! and hands each run over at once.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::sync::mpsc;
use std::sync::{Condvar, Mutex};

struct State {
    next: usize,
    emitted: usize,
    stop: bool,
}

/// Run `work` on every item with `jobs` threads and call `emit` with each result in item
/// order, on the calling thread. `emit` returning `Break` stops the run: items not yet
/// started are never started.
pub fn ordered<T, R, W, E>(
    items: &[T],
    jobs: usize,
    window: usize,
    batch: usize,
    work: W,
    mut emit: E,
) where
    T: Sync,
    R: Send,
    W: Fn(&T) -> R + Sync,
    E: FnMut(usize, R) -> ControlFlow<()>,
{
    let window = window.max(1);
    let batch = batch.clamp(1, window);
    let state = Mutex::new(State {
        next: 0,
        emitted: 0,
        stop: false,
    });
    let turn = Condvar::new();
    let (tx, rx) = mpsc::channel::<Vec<(usize, R)>>();
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, items.len().max(1)) {
            let tx = tx.clone();
            let (state, turn, work) = (&state, &turn, &work);
            s.spawn(move || loop {
                // Claim a run of consecutive items, so that each hand-over can be emitted
                // at once instead of waiting for items other workers hold.
                let range = {
                    let mut st = lock(state);
                    while !st.stop && st.next < items.len() && st.next >= st.emitted + window {
                        st = turn.wait(st).unwrap_or_else(|e| e.into_inner());
                    }
                    if st.stop || st.next >= items.len() {
                        return;
                    }
                    let n = batch
                        .min(items.len() - st.next)
                        .min(st.emitted + window - st.next);
                    st.next += n;
                    st.next - n..st.next
                };
                let done: Vec<(usize, R)> = range.map(|i| (i, work(&items[i]))).collect();
                if tx.send(done).is_err() {
                    return;
                }
            });
        }
        drop(tx);
        let mut waiting: BTreeMap<usize, R> = BTreeMap::new();
        let mut next_out = 0;
        'recv: for results in rx.iter() {
            waiting.extend(results);
            let before = next_out;
            let mut stop = false;
            while let Some(r) = waiting.remove(&next_out) {
                next_out += 1;
                if emit(next_out - 1, r).is_break() {
                    stop = true;
                    break;
                }
            }
            if next_out > before || stop {
                let mut st = lock(&state);
                st.emitted = next_out;
                st.stop |= stop;
                turn.notify_all();
            }
            if stop {
                break 'recv;
            }
        }
        // Dropping the receiver makes workers still sending give up.
    });
}

fn lock(m: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    m.lock().unwrap_or_else(|e| e.into_inner())
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
            &items,
            4,
            8,
            3,
            |&i| {
                // Early items finish last.
                std::thread::sleep(Duration::from_millis((50 - i) % 7));
                i * 10
            },
            |idx, r| {
                got.push((idx, r));
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
            &items,
            3,
            4,
            2,
            |_| {
                started.fetch_add(1, Ordering::SeqCst);
            },
            |idx, _| {
                std::thread::sleep(Duration::from_millis(1));
                max_ahead = max_ahead.max(started.load(Ordering::SeqCst) - idx);
                ControlFlow::Continue(())
            },
        );
        assert!(max_ahead <= 4, "{max_ahead} started ahead of the output");
    }

    #[test]
    fn break_stops_starting_new_items() {
        let items: Vec<usize> = (0..1000).collect();
        let started = AtomicUsize::new(0);
        ordered(
            &items,
            2,
            4,
            4,
            |_| {
                started.fetch_add(1, Ordering::SeqCst);
            },
            |idx, _| {
                if idx == 3 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            },
        );
        assert!(started.load(Ordering::SeqCst) < 20);
    }
}
