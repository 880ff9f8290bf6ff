using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using KpNode.Configuration;
using KpNode.Diagnostics;
using KpNode.Operations;
using KpNode.PeerApi;
using KpNode.Storage;
using KpNode.Trust;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Options;

namespace KpNode.Hosting;

/// <summary>Choices a caller of <see cref="NodeHost"/> makes that are not node configuration: clock and logging.</summary>
internal sealed record NodeHostSettings
{
    public TimeProvider Time { get; init; } = TimeProvider.System;

    public LogLevel MinimumLogLevel { get; init; } = LogLevel.Information;

    /// <summary>Replaces the default console logging when set.</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; init; }
}

/// <summary>
/// One running KpNode: the Peer and Local endpoints on Kestrel (HTTP/2, TLS 1.2+, client certificate
/// required on both), the store, the workflow and the outbox dispatcher.
/// </summary>
internal sealed class NodeHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ListenOptions _peer;
    private readonly ListenOptions _local;
    private readonly DataDirectoryLock _dataLock;

    private NodeHost(WebApplication app, NodeConfig config, ListenOptions peer, ListenOptions local, DataDirectoryLock dataLock)
    {
        _app = app;
        _dataLock = dataLock;
        Config = config;
        _peer = peer;
        _local = local;
    }

    public NodeConfig Config { get; }

    public IServiceProvider Services => _app.Services;

    public int PeerPort => _peer.IPEndPoint!.Port;

    public int LocalPort => _local.IPEndPoint!.Port;

    public Uri PeerAddress => Config.PeerListen.ToUri(PeerPort);

    public Uri LocalAddress => Config.LocalListen.ToUri(LocalPort);

    /// <summary>Builds and starts a node; bad PKI, partner roots or a port in use stop it with a message naming the key.</summary>
    public static async Task<NodeHost> StartAsync(NodeConfig config, NodeHostSettings? settings = null, CancellationToken ct = default)
    {
        settings ??= new NodeHostSettings();
        var credentials = new NodeCredentials(LoadCredentials(config, settings.Time.GetUtcNow()), config.Options.PkiDirectory);
        var partners = Partners.Load(config);
        // Before anything opens the store or writes beside it: a second process on the same store corrupts it.
        var dataLock = LockDataDirectory(config);
        try
        {
            return await StartLockedAsync(config, settings, credentials, partners, dataLock, ct);
        }
        catch
        {
            dataLock.Dispose();
            throw;
        }
    }

    private static async Task<NodeHost> StartLockedAsync(NodeConfig config, NodeHostSettings settings, NodeCredentials credentials,
        Partners partners, DataDirectoryLock dataLock, CancellationToken ct)
    {
        // The host logs a failed start with its stack trace; the failures a person can fix are reported once, in words, by the caller.
        var starting = true;

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = "kpnode",
            ContentRootPath = Path.GetDirectoryName(config.FilePath),
            // The node reads its configuration once, through NodeConfig. Reloading on change would watch the
            // content root recursively, and the data directory usually lies beneath it: every LiteDB write then
            // woke a file-system watcher thread (about a tenth of the node's CPU under load, in the profile).
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });
        builder.Logging.ClearProviders();
        if (settings.ConfigureLogging is { } configure)
        {
            configure(builder.Logging);
        }
        else
        {
            builder.Logging.AddNodeConsole(config.Options.Operations);
        }

        builder.Logging.SetMinimumLevel(settings.MinimumLogLevel);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting", LogLevel.Warning);
        builder.Logging.AddFilter("Grpc", LogLevel.Warning);
        builder.Logging.AddFilter("Polly", LogLevel.Warning);
        // Every health probe of an unhealthy node would log an error; the node logs each cause once, itself.
        builder.Logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.Critical);
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", level => level >= settings.MinimumLogLevel && (!starting || level < LogLevel.Error));
        builder.Services
            .AddNodeOptions(config)
            .AddSingleton(settings.Time)
            .AddTrust(credentials, partners)
            .AddStore(config, settings.Time)
            .AddWorkflow()
            .AddNodeGrpc(config)
            .AddCallers()
            .AddExchange()
            .AddOutbox()
            .AddLocalApi();
        builder.AddOperations(config);
        builder.Services.AddRefusedMessages();

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            var services = kestrel.ApplicationServices;
            var admitted = services.GetRequiredService<AdmittedCallers>();
            var listeners = services.GetRequiredService<NodeListeners>();
            listeners.Peer = Listen(kestrel, config.PeerListen, HttpProtocols.Http2, credentials, admitted.Through(services.GetRequiredService<PeerGate>().Admit));
            // HTTP/1.1 as well for the JSON API: national systems' HTTP clients (Python's urllib, curl --http1.1) speak it;
            // gRPC clients still get HTTP/2 through ALPN.
            listeners.Local = Listen(kestrel, config.LocalListen, HttpProtocols.Http1AndHttp2, credentials, admitted.Through(services.GetRequiredService<OperatorGate>().Admit));
        });

        var app = builder.Build();
        app.MapNode();
        try
        {
            await app.StartAsync(ct);
        }
        catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } || e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
        {
            await app.DisposeAsync();
            throw new ConfigurationProblemException(config.FilePath, [EndpointClashes.InUseByAnotherProcess(config, e.Message)]);
        }
        catch (Exception e) when (e is OptionsValidationException or AggregateException { InnerExceptions: [OptionsValidationException, ..] })
        {
            await app.DisposeAsync();
            var failures = e is AggregateException all ? all.InnerExceptions.OfType<OptionsValidationException>().SelectMany(v => v.Failures) : ((OptionsValidationException)e).Failures;
            throw new ConfigurationProblemException(config.FilePath, failures.ToList());
        }

        finally
        {
            starting = false;
        }

        var listening = app.Services.GetRequiredService<NodeListeners>();
        var host = new NodeHost(app, config, listening.Peer!, listening.Local!, dataLock);
        var logger = app.Services.GetRequiredService<ILogger<NodeHost>>();
        Log.DataDirectoryHeld(logger, dataLock.Directory, DataDirectoryLock.LockFileName, Environment.ProcessId);
        Log.NodeStarted(logger, config.Participant, host.PeerAddress.ToString(), host.LocalAddress.ToString());
        app.Lifetime.ApplicationStopping.Register(() => Log.NodeStopping(logger, config.Participant));
        return host;
    }

    private static ListenOptions Listen(KestrelServerOptions kestrel, ListenAddress address, HttpProtocols protocols, NodeCredentials credentials,
        Func<System.Security.Cryptography.X509Certificates.X509Certificate2, bool> acceptClient)
    {
        ListenOptions? captured = null;
        // "localhost" binds the IPv4 loopback: one socket whose port can be read back when 0 was asked for.
        var ip = address.Ip ?? IPAddress.Loopback;
        kestrel.Listen(ip, address.Port, listen =>
        {
            captured = listen;
            listen.Protocols = protocols;
            // Before TLS: the gates' handshake callback then knows whose connection it judges.
            listen.Use(next => connection =>
            {
                HandshakeRefusals.Source = (connection.RemoteEndPoint as IPEndPoint)?.Address.ToString();
                return next(connection);
            });
            listen.UseHttps(new HttpsConnectionAdapterOptions
            {
                // Per connection, so a reloaded certificate serves the next handshake (connections open keep theirs).
                ServerCertificateSelector = (_, _) => credentials.Current.NodeTls,
                SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                ClientCertificateMode = ClientCertificateMode.RequireCertificate,
                CheckCertificateRevocation = false,
                // The one chain validation of a connection: our gates trust only the configured roots (never the OS store),
                // log why they refuse, and give the claims every call on it is then authenticated with.
                ClientCertificateValidation = (certificate, _, _) => acceptClient(certificate),
            });
        });
        return captured!;
    }

    private static DataDirectoryLock LockDataDirectory(NodeConfig config)
    {
        try
        {
            var held = DataDirectoryLock.Acquire(config.Options.DataDirectory);
            // With the lock held no backup or restore of this store runs: what one left behind is only a working copy.
            NodeStore.RemoveInterruptedCopies(config.Options.DataDirectory);
            return held;
        }
        catch (DataDirectoryInUseException e)
        {
            throw new ConfigurationProblemException(config.FilePath,
                [$"{ConfigKeys.Key(ConfigKeys.Node, "DataDirectory")}: {e.Message}; stop that node first, or give this one its own DataDirectory (two processes on one store corrupt it)"]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationProblemException(config.FilePath,
                [$"{ConfigKeys.Key(ConfigKeys.Node, "DataDirectory")}: cannot lock {config.Options.DataDirectory} ({e.Message})"]);
        }
    }

    private static ParticipantCredentials LoadCredentials(NodeConfig config, DateTimeOffset now)
    {
        ParticipantCredentials credentials;
        try
        {
            credentials = PkiFiles.Load(config.Options.PkiDirectory);
        }
        catch (Exception e) when (e is PkiFileException or IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationProblemException(config.FilePath, [$"{ConfigKeys.Key(ConfigKeys.Node, "PkiDirectory")}: {e.Message}"]);
        }

        var named = ParticipantIdentity.FromCertificate(credentials.NodeTls);
        if (named != config.Participant)
        {
            throw new ConfigurationProblemException(config.FilePath,
                [$"{ConfigKeys.Key(ConfigKeys.Node, "PkiDirectory")}: the certificates in {config.Options.PkiDirectory} belong to {named ?? "no participant"}, but {ConfigKeys.Key(ConfigKeys.Node, "Participant")} is {config.Participant}"]);
        }

        var problems = OwnCredentials.Problems(credentials, config.Options.PkiDirectory, config.Participant, now)
            .Concat(OwnCredentials.MissingOffices(credentials, config.Options.PkiDirectory, config.Options.Offices.Select(o => o.Code))).ToList();
        if (problems.Count > 0)
        {
            credentials.Dispose();
            throw new ConfigurationProblemException(config.FilePath,
                [.. problems.Select(p => $"{ConfigKeys.Key(ConfigKeys.Node, "PkiDirectory")}: {p}")]);
        }

        return credentials;
    }

    /// <summary>Runs until SIGINT/SIGTERM or the token; pending deliveries stay in the outbox.</summary>
    public Task WaitForShutdownAsync(CancellationToken ct = default) => _app.WaitForShutdownAsync(ct);

    public Task StopAsync() => _app.StopAsync(CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        // Only once the store is closed may another process open it.
        _dataLock.Dispose();
    }
}
