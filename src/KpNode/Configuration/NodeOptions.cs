using KpNode.Domain;

namespace KpNode.Configuration;

/// <summary>The node's configuration, bound from the "Node" section of its JSON file.</summary>
internal sealed class NodeOptions
{
    public const string Section = "Node";

    /// <summary>Our KP participant code, e.g. ZA; must match the URI SAN of our certificates.</summary>
    public string Participant { get; set; } = "";

    /// <summary>Name of the competent authority (required): every certificate we issue names it; a draft may leave it empty, not name another.</summary>
    public string ExportingAuthority { get; set; } = "";

    /// <summary>Prefixes our certificate numbers may start with; the first numbers new certificates.</summary>
    public List<string> IssuingPrefixes { get; set; } = [];

    /// <summary>
    /// The participant's issuing offices when it has several (the EU's Union authorities): each numbers and signs its
    /// own certificates. Empty: the participant issues as one authority, <see cref="ExportingAuthority"/>.
    /// </summary>
    public List<OfficeOptions> Offices { get; set; } = [];

    public string DataDirectory { get; set; } = "";

    /// <summary>Folder written by <c>kpnode pki init</c>: root, node TLS, signing and operator certificates.</summary>
    public string PkiDirectory { get; set; } = "";

    /// <summary>host:port the Peer API listens on (partners connect here).</summary>
    public string PeerEndpoint { get; set; } = "";

    /// <summary>host:port the Local API listens on; loopback unless deliberately opened.</summary>
    public string LocalEndpoint { get; set; } = "";

    public List<PartnerOptions> Partners { get; set; } = [];

    /// <summary>
    /// Participants admitted to the KP after this release, named explicitly so that a code outside the built-in
    /// table is accepted (as our participant, a partner, or a certificate's importing side) only on purpose.
    /// </summary>
    public List<AdmittedParticipantOptions> AdmittedParticipants { get; set; } = [];

    /// <summary>Longest allowed span from date of issue to date of expiry (EU: 2 months).</summary>
    public int MaxValidityDays { get; set; } = 183;

    /// <summary>How many days before today a draft's date of issue may lie (0: today only).</summary>
    public int BackdatingDays { get; set; }

    /// <summary>Validity given to a certificate whose draft names no date of expiry.</summary>
    public int DefaultValidityDays { get; set; } = 60;

    /// <summary>Largest gRPC message accepted from a partner or the Local API.</summary>
    public int MaxMessageBytes { get; set; } = 256 * 1024;

    public DeliveryOptions Delivery { get; set; } = new();

    public OperationsOptions Operations { get; set; } = new();

    public TradePolicyOptions TradePolicy { get; set; } = new();
    public FourEyesOptions FourEyes { get; set; } = new();

    /// <summary>
    /// How often certificates past their date of expiry are marked Expired, and how often an outbox lane whose link
    /// is down gives up the messages past their deliver-by time.
    /// </summary>
    public TimeSpan ExpiryCheckInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Years the node keeps every certificate, message, receipt and audit entry (KPCS: at least 3; US and AU: 5);
    /// nothing is deleted within it.
    /// </summary>
    public int RetentionYears { get; set; } = 5;
}

/// <summary>One issuing office of a participant: its code, its competent authority and the prefix of its certificate numbers.</summary>
internal sealed class OfficeOptions
{
    /// <summary>BE-ANTWERP: the code its signing and operator certificates name (URI SAN kp:office:CODE).</summary>
    public string Code { get; set; } = "";

    /// <summary>The competent authority's name every certificate of this office carries.</summary>
    public string ExportingAuthority { get; set; } = "";

    /// <summary>The prefix of the office's certificate numbers (for the EU, the member state's ISO code); one of Node:IssuingPrefixes.</summary>
    public string NumberPrefix { get; set; } = "";
}

/// <summary>National restrictions that apply to trade with every partner.</summary>
internal sealed class TradePolicyOptions
{
    /// <summary>ISO codes of origins whose rough diamonds are refused (e.g. national sanctions).</summary>
    public List<string> RefusedOrigins { get; set; } = [];

    /// <summary>Refuse "mixed origin" certificates, whose origins cannot be checked against RefusedOrigins.</summary>
    public bool RefuseMixedOrigin { get; set; }
}

/// <summary>A participant admitted after this release: its KP code, its name, and the date of its admission (yyyy-MM-dd).</summary>
internal sealed class AdmittedParticipantOptions
{
    public string Code { get; set; } = "";

    public string Name { get; set; } = "";

    public string Admitted { get; set; } = "";
}

/// <summary>One trading partner: who it is, where its node listens, and the root we trust for it.</summary>
internal sealed class PartnerOptions
{
    public string Participant { get; set; } = "";

    /// <summary>https://host:port of the partner's Peer API.</summary>
    public string Address { get; set; } = "";

    /// <summary>Path of the partner's root CA certificate (PEM), exchanged out of band.</summary>
    public string RootCertificate { get; set; } = "";

    /// <summary>Prefixes the partner's certificate numbers start with; defaults to its participant code.</summary>
    public List<string> NumberPrefixes { get; set; } = [];

    /// <summary>Active, Suspended, or Partial (exports accepted only from PermittedOriginZones).</summary>
    public PartnerStanding Standing { get; set; } = PartnerStanding.Active;

    public List<string> PermittedOriginZones { get; set; } = [];

    /// <summary>Origins refused in trade with this partner in particular.</summary>
    public List<string> RefusedOrigins { get; set; } = [];

    /// <summary>The competent authority the partner announced; when set, its certificates must name exactly it (empty: not checked).</summary>
    public string ExportingAuthority { get; set; } = "";

    /// <summary>
    /// The partner's issuing offices, when it has several: a certificate signed by one of them must name that office's
    /// authority and number prefix. Empty: any office the partner's root vouches for is accepted and shown.
    /// </summary>
    public List<OfficeOptions> Offices { get; set; } = [];
}

/// <summary>Timings of delivery to partners: Polly covers seconds, the durable outbox hours and days.</summary>
internal sealed class DeliveryOptions
{
    /// <summary>Limit for one Deliver call.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Quick in-memory retries of transient failures before the outbox reschedules.</summary>
    public int QuickRetries { get; set; } = 2;

    public TimeSpan QuickRetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>First outbox backoff after a failed attempt; doubles per attempt with jitter.</summary>
    public TimeSpan FirstBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Cap of the outbox backoff.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// While a partner's link is down (its lane attempts no delivery meanwhile), how often it is probed (a ping), so
    /// that its backlog goes as soon as it is back.
    /// </summary>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Deliveries in flight at once towards one partner.</summary>
    public int MaxInFlightPerPartner { get; set; } = 32;

    /// <summary>
    /// How many of a partner's pending messages its lane reads from the store at a time; the next page is read
    /// while the deliveries of the one before are in flight.
    /// </summary>
    public int BacklogPageSize { get; set; } = 512;

    /// <summary>Failures within the sampling window that open the circuit (tuned for low traffic).</summary>
    public int BreakerMinimumThroughput { get; set; } = 4;

    public double BreakerFailureRatio { get; set; } = 0.5;

    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan BreakerBreakDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest one delivery through the pipeline may take: every attempt and every quick retry's backoff.</summary>
    public TimeSpan WorstCaseDeliveryTime =>
        AttemptTimeout * (QuickRetries + 1) + QuickRetryDelay * (1 << Math.Min(QuickRetries + 1, 10));

    /// <summary>Shortest time between two backlog resets (circuit closed, backoffs skipped) caused by the partner calling us.</summary>
    public TimeSpan ResetThrottle { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A partner that called us within this window is up: a delivery failing then is retried after FirstBackoff.</summary>
    public TimeSpan RecentContactWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a partner's lane pauses after an unexpected error before it tries again.</summary>
    public TimeSpan LaneErrorDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Messages one pass over a partner's backlog reads at most, so refused messages get their retry while issuing outpaces delivery.</summary>
    public int MaxMessagesPerPass { get; set; } = 4096;

    /// <summary>Pending messages, oldest first, that a lane whose link is down reads at each expiry check to give up those past their deliver-by time.</summary>
    public int ExpiryCheckBatchSize { get; set; } = 512;
}

/// <summary>How the console log is written; the config spells it in lower case (simple, json).</summary>
internal enum LogFormat
{
    Simple,
    Json,
}

/// <summary>What operators watch: the operations HTTP endpoint (metrics, status page), expiry warnings, log format.</summary>
internal sealed class OperationsOptions
{
    /// <summary>
    /// host:port of the operations endpoint: Prometheus metrics at /metrics and the read-only status page at /.
    /// Plain HTTP without client certificates, so it stays on loopback unless deliberately opened (behind a
    /// firewall or a reverse proxy). Port 0 picks a free port, logged at start and shown by <c>kpnode status</c>;
    /// give a fixed port for Prometheus to scrape.
    /// </summary>
    public string Endpoint { get; set; } = "127.0.0.1:0";

    /// <summary>From this many days before one of our certificates or a partner root expires, warn (logs, metrics, status, page).</summary>
    public int ExpiryWarningDays { get; set; } = 30;

    /// <summary>Console log format: simple (one line per event) or json (one JSON object per line, for log shippers).</summary>
    public LogFormat LogFormat { get; set; } = LogFormat.Simple;

    /// <summary>
    /// Refused TLS handshakes from one address are logged one by one only for the first few of each such window; the
    /// rest are summed up in one line when it ends, so a flood cannot fill the log.
    /// </summary>
    public TimeSpan RefusedHandshakeLogWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the status page reloads itself.</summary>
    public int StatusPageRefreshSeconds { get; set; } = 15;

    /// <summary>
    /// How many messages, and how many certificates, the store check at start verifies: all of them up to this many,
    /// a random sample of this many in a larger store (the audit chain is always walked whole). 0 verifies every
    /// record. Whatever the node serves, answers for or counts is verified as it does, sampled or not.
    /// </summary>
    public int StoreCheckSample { get; set; } = 10_000;

    /// <summary>How far a partner's clock may differ from ours before the pre-flight hello reports it.</summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often each partner is greeted again (the pre-flight hello), and how soon after a hello that could not be made.</summary>
    public TimeSpan PreflightInterval { get; set; } = TimeSpan.FromHours(1);

    public TimeSpan PreflightRetryDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the node reconciles its whole history with each partner by itself (signed per-day digests, its audit head with them).</summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromDays(1);
}
