using System.Globalization;

namespace KpNode.Storage;

/// <summary>Another process holds the lock on the data directory; names the directory and, when it could be read, the holder's PID.</summary>
internal sealed class DataDirectoryInUseException(string directory, int? holder)
    : Exception($"the data directory {directory} is in use by another kpnode process ({(holder is { } pid ? $"PID {pid}" : "PID unknown")})")
{
    public string Directory { get; } = directory;

    public int? HolderPid { get; } = holder;
}

/// <summary>
/// The node's exclusive claim on its data directory for its whole life: two processes on one LiteDB store in Direct
/// mode corrupt it. An OS file lock, so the kernel releases it when the process dies, even by kill -9.
/// </summary>
internal sealed class DataDirectoryLock : IDisposable
{
    public const string LockFileName = "kpnode.lock";

    /// <summary>Beside the lock file, because the locked file itself cannot be opened by another .NET process to read it.</summary>
    public const string PidFileName = "kpnode.pid";

    private readonly FileStream _lock;
    private readonly string _pidPath;

    private DataDirectoryLock(FileStream locked, string pidPath)
    {
        _lock = locked;
        _pidPath = pidPath;
    }

    public string Directory => Path.GetDirectoryName(_lock.Name)!;

    /// <summary>Takes the lock, creating the directory if needed; throws <see cref="DataDirectoryInUseException"/> if another process holds it.</summary>
    public static DataDirectoryLock Acquire(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        directory = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(directory);
        var lockPath = Path.Combine(directory, LockFileName);
        var pidPath = Path.Combine(directory, PidFileName);
        FileStream locked;
        try
        {
            // On Unix .NET takes flock(LOCK_EX | LOCK_NB) for FileShare.None, and on Windows the share mode itself excludes others.
            locked = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException) when (File.Exists(lockPath))
        {
            throw new DataDirectoryInUseException(directory, ReadPid(pidPath));
        }

        try
        {
            File.WriteAllText(pidPath, Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
        }
        catch
        {
            locked.Dispose();
            throw;
        }

        return new DataDirectoryLock(locked, pidPath);
    }

    private static int? ReadPid(string pidPath)
    {
        try
        {
            return int.TryParse(File.ReadAllText(pidPath).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Releases the lock; the PID file goes first, so it never names a process that no longer holds the lock after a clean stop.</summary>
    public void Dispose()
    {
        try
        {
            File.Delete(_pidPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The lock is what counts; a PID file left behind is rewritten by the next holder.
        }

        _lock.Dispose();
    }
}
