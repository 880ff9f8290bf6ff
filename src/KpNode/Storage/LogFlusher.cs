using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Microsoft.Win32.SafeHandles;

namespace KpNode.Storage;

/// <summary>
/// Makes LiteDB commits durable with group commit: callers wait for a flush that started after
/// their commit, and one fsync serves everyone who committed before it began.
/// </summary>
/// <remarks>
/// LiteDB 5.0.21 writes each commit to its <c>-log.db</c> write-ahead log before the commit
/// returns but never fsyncs that file, so a commit survives a killed process but not a power
/// loss. fsync applies to the file, not the handle, so our own handle on the log suffices.
/// LiteDB truncates the log in place at a checkpoint and deletes it only when the database is
/// disposed, so once the log exists our handle stays on the right file for the store's life.
/// </remarks>
internal sealed class LogFlusher
{
    private readonly string _dataPath;
    private readonly string _logPath;

    // Guards the sequence numbers, the waiters and the state flags.
    private readonly Lock _gate = new();
    // Held while fsyncing and while closing, so a handle is never closed under a running fsync.
    private readonly Lock _files = new();

    private readonly List<(long Seq, TaskCompletionSource Done)> _waiters = [];
    // fsync blocks for milliseconds, so it runs on a thread of its own rather than holding a pool thread;
    // woken once each time waiters appear while it is idle (_flusherRunning false).
    private readonly SemaphoreSlim _wake = new(0);
    private Thread? _thread;
    // Fsyncs done and their total Stopwatch ticks; read without the gate.
    private long _fsyncs;
    private long _fsyncTicks;
    private long _committedSeq;
    private long _flushedSeq;
    private bool _dataFileWritten;
    private bool _flusherRunning;
    private bool _closed;
    private ExceptionDispatchInfo? _fault;

    private SafeFileHandle? _log;
    private SafeFileHandle? _data;

    public LogFlusher(string dataPath, string logPath)
    {
        _dataPath = dataPath;
        _logPath = logPath;
    }

    /// <summary>Records a commit; the caller holds the store's write lock, so commits are numbered in order.</summary>
    /// <param name="dataFileWritten">A checkpoint during the commit copied the log into the data file.</param>
    public void Committed(bool dataFileWritten)
    {
        lock (_gate)
        {
            _committedSeq++;
            _dataFileWritten |= dataFileWritten;
        }
    }

    /// <summary>fsyncs done since the store opened, and the seconds they took.</summary>
    public (long Count, double Seconds) Fsyncs =>
        (Interlocked.Read(ref _fsyncs), Interlocked.Read(ref _fsyncTicks) / (double)Stopwatch.Frequency);

    /// <summary>Whether the flush thread is still running; it ends at <see cref="Close"/>.</summary>
    public bool ThreadRunning
    {
        get
        {
            lock (_gate)
                return _thread?.IsAlive == true;
        }
    }

    /// <summary>
    /// Once an fsync has failed, the kernel may have dropped the dirty pages it could not write
    /// and a later fsync can succeed without them; so no later flush may claim durability.
    /// </summary>
    public void ThrowIfFaulted()
    {
        lock (_gate)
            _fault?.Throw();
    }

    public Task FlushAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            _fault?.Throw();
            // A commit made before the store closed is durable once closing checkpointed it: its caller is answered
            // with success, not told the store is closed.
            if (_flushedSeq >= _committedSeq)
                return Task.CompletedTask;
            if (_closed)
                throw new IOException("The store closed before its last commits were confirmed on disk; they may not survive a power loss.");

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((_committedSeq, done));
            if (!_flusherRunning)
            {
                _flusherRunning = true;
                if (_thread is null)
                {
                    _thread = new Thread(FlushThread) { IsBackground = true, Name = "kpnode store flush" };
                    _thread.Start();
                }
                _wake.Release();
            }
            return done.Task.WaitAsync(ct);
        }
    }

    /// <summary>
    /// Called after LiteDB was disposed: its closing checkpoint copied the log into the data file
    /// and fsynced it, so every waiter is durable — unless closing failed.
    /// </summary>
    public void Close(Exception? closeFailure)
    {
        List<TaskCompletionSource> waiting;
        Thread? flusher;
        lock (_gate)
        {
            _closed = true;
            if (closeFailure is null)
                _flushedSeq = _committedSeq;
            waiting = _waiters.Select(w => w.Done).ToList();
            _waiters.Clear();
            flusher = _thread;
        }

        // The flush thread sees the store closed and ends.
        _wake.Release();
        if (flusher is not null && flusher != Thread.CurrentThread)
            flusher.Join();

        lock (_files)
        {
            _log?.Dispose();
            _data?.Dispose();
            _log = _data = null;
        }

        foreach (var done in waiting)
        {
            if (closeFailure is null)
                done.TrySetResult();
            else
                done.TrySetException(new IOException("The store closed before this commit was confirmed on disk.", closeFailure));
        }
    }

    private void FlushThread()
    {
        while (true)
        {
            _wake.Wait();
            lock (_gate)
            {
                if (_closed)
                    return;
            }
            FlushLoop();
        }
    }

    private void FlushLoop()
    {
        while (true)
        {
            long target;
            bool flushData;
            lock (_gate)
            {
                if (_waiters.Count == 0 || _closed || _fault is not null)
                {
                    _flusherRunning = false;
                    return;
                }
                // Everything committed up to now is in the OS page cache, so this fsync covers it.
                target = _committedSeq;
                flushData = _dataFileWritten;
                _dataFileWritten = false;
            }

            Exception? failure = null;
            var started = Stopwatch.GetTimestamp();
            try
            {
                FlushFiles(flushData);
                Interlocked.Add(ref _fsyncTicks, Stopwatch.GetTimestamp() - started);
                Interlocked.Increment(ref _fsyncs);
            }
            catch (Exception ex)
            {
                failure = new IOException($"Flushing the store to disk failed; commits since the last flush may not survive a power loss. {ex.Message}", ex);
            }

            var finished = new List<TaskCompletionSource>();
            lock (_gate)
            {
                if (failure is null)
                {
                    _flushedSeq = Math.Max(_flushedSeq, target);
                    finished.AddRange(_waiters.Where(w => w.Seq <= target).Select(w => w.Done));
                    _waiters.RemoveAll(w => w.Seq <= target);
                }
                else
                {
                    _fault = ExceptionDispatchInfo.Capture(failure);
                    finished.AddRange(_waiters.Select(w => w.Done));
                    _waiters.Clear();
                }
            }

            foreach (var done in finished)
            {
                if (failure is null)
                    done.TrySetResult();
                else
                    done.TrySetException(failure);
            }
        }
    }

    private void FlushFiles(bool flushData)
    {
        lock (_files)
        {
            if (_closed)
                return;

            // LiteDB fsyncs the data file itself when it checkpoints; flushing it again costs
            // little and does not depend on that detail.
            if (flushData)
            {
                _data ??= OpenForFlush(_dataPath);
                RandomAccess.FlushToDisk(_data);
            }

            if (_log is null)
            {
                // LiteDB creates the log at its first write; without a log nothing is waiting in it.
                if (!File.Exists(_logPath))
                    return;
                _log = OpenForFlush(_logPath);
                // The log (and, for a new store, the data file) may be newly created: make the names durable too.
                DirectorySync.Flush(Path.GetDirectoryName(_logPath)!);
            }
            RandomAccess.FlushToDisk(_log);
        }
    }

    private static SafeFileHandle OpenForFlush(string path) =>
        // Linux and macOS fsync any descriptor; Windows' FlushFileBuffers needs write access.
        // Sharing everything leaves LiteDB free to write, truncate and delete the file.
        File.OpenHandle(
            path,
            FileMode.Open,
            OperatingSystem.IsWindows() ? FileAccess.ReadWrite : FileAccess.Read,
            FileShare.ReadWrite | FileShare.Delete);
}
