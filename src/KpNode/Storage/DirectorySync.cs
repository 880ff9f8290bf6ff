using System.Runtime.InteropServices;

namespace KpNode.Storage;

/// <summary>Flushes a directory, so that the name of a file newly created in it survives a power loss.</summary>
internal static class DirectorySync
{
    private const int ReadOnly = 0;
    private const int InvalidArgument = 22; // EINVAL, the same number on Linux and macOS

    public static void Flush(string directory)
    {
        // Windows keeps a file's directory entry durable along with the file; POSIX systems need
        // the directory itself fsynced, and .NET refuses to open a directory as a file handle.
        if (OperatingSystem.IsWindows())
            return;

        var fd = open(directory, ReadOnly);
        if (fd < 0)
            throw new IOException($"Cannot open the store folder '{directory}' to flush it (errno {Marshal.GetLastPInvokeError()}).");
        try
        {
            // Some file systems cannot fsync a directory and say so with EINVAL; there is nothing better to do there.
            if (fsync(fd) != 0 && Marshal.GetLastPInvokeError() is var errno && errno != InvalidArgument)
                throw new IOException($"Flushing the store folder '{directory}' to disk failed (errno {errno}).");
        }
        finally
        {
            _ = close(fd);
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int fsync(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
}
