//! Batch work across cores: a parallel map whose output order, and so its result, never depends on
//! how many threads ran it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// The number of threads to use when the caller does not say: one per available core.
pub(crate) fn default_threads() -> usize {
    // Asked once: the standard library reads the process's cgroup files on every call.
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS
        .get_or_init(|| std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get))
}

/// Applies `f` to every item on up to `threads` threads and returns the results in item order.
pub(crate) fn map<T: Send, R: Send>(
    items: Vec<T>,
    threads: usize,
    f: impl Fn(T) -> R + Sync,
) -> Vec<R> {
    let threads = threads.clamp(1, items.len().max(1));
    if threads == 1 {
        return items.into_iter().map(f).collect();
    }
    let slots: Vec<Mutex<Option<T>>> = items.into_iter().map(|i| Mutex::new(Some(i))).collect();
    let results: Vec<Mutex<Option<R>>> = slots.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let work = || {
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(slot) = slots.get(index) else { break };
            let item = slot.lock().map_or(None, |mut s| s.take());
            if let (Some(item), Some(out)) = (item, results.get(index)) {
                let result = f(item);
                if let Ok(mut out) = out.lock() {
                    *out = Some(result);
                }
            }
        }
    };
    // The calling thread is one of the workers: a thread fewer to start, and to give memory to.
    std::thread::scope(|scope| {
        for _ in 1..threads {
            scope.spawn(work);
        }
        work();
    });
    results
        .into_iter()
        .filter_map(|r| r.into_inner().ok().flatten())
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_item_order_for_any_thread_count() {
        let items: Vec<u64> = (0..1000).collect();
        let expected: Vec<u64> = items.iter().map(|i| i * i).collect();
        for threads in [1, 2, 3, 8] {
            assert_eq!(
                super::map(items.clone(), threads, |i| i * i),
                expected,
                "{threads} threads"
            );
        }
        assert!(super::map(Vec::<u8>::new(), 4, |i| i).is_empty());
    }
}
