using System.Globalization;
using Google.Protobuf.Reflection;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;
using Microsoft.OpenApi.Models;
using Microsoft.OpenApi.Writers;
using Swashbuckle.AspNetCore.Swagger;

namespace KpNode.LocalApi;

/// <summary>
/// The Local API as JSON over HTTP: gRPC JSON transcoding of the routes the wire contract's google.api.http
/// annotations name, and its OpenAPI document, generated from the same annotations and the contract's comments.
/// </summary>
internal static class JsonApi
{
    /// <summary>Where the node serves the OpenAPI document, on the Local listener.</summary>
    public const string OpenApiPath = "/v1/openapi.json";

    private const string DocumentName = "v1";

    public static void Configure(GrpcJsonTranscodingOptions options)
    {
        // The JSON error body is google.rpc.Status with its details: their types must be known to be written.
        // 64-bit integers stay JSON numbers, as the OpenAPI document types them (integer, int64); strings are read too.
        options.TypeRegistry = TypeRegistry.FromMessages(Google.Rpc.BadRequest.Descriptor, Google.Rpc.ErrorInfo.Descriptor);
    }

    /// <summary>The OpenAPI generator for the transcoded routes, described by the contract's comments.</summary>
    public static IServiceCollection AddJsonApiDocument(this IServiceCollection services)
    {
        services.AddGrpcSwagger();
        services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc(DocumentName, new OpenApiInfo
            {
                Title = "KpNode Local API",
                Version = DocumentName,
                Description = "A KP participant's own systems talk to its node here, over mutual TLS with operator certificates "
                    + "from the participant's own root. Errors are google.rpc.Status, with google.rpc.BadRequest field violations.",
            });
            var comments = Path.Combine(AppContext.BaseDirectory, typeof(JsonApi).Assembly.GetName().Name + ".xml");
            if (File.Exists(comments))
            {
                o.IncludeGrpcXmlComments(comments, includeControllerXmlComments: true);
                o.IncludeXmlComments(comments);
            }
        });
        return services;
    }

    /// <summary>The OpenAPI document (JSON, OpenAPI 3.0) of the routes <paramref name="services"/> has mapped.</summary>
    public static string OpenApiDocument(IServiceProvider services)
    {
        var document = services.GetRequiredService<ISwaggerProvider>().GetSwagger(DocumentName);
        using var text = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        document.SerializeAsV3(new OpenApiJsonWriter(text));
        return text.ToString() + "\n";
    }

    /// <summary>The document without a node: the Local services mapped in a host that is never started.</summary>
    public static string OpenApiDocument()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddGrpc().AddJsonTranscoding(Configure);
        builder.Services.AddJsonApiDocument();
        using var app = builder.Build();
        app.UseRouting();
        MapTranscoded(app);
        // As a started node does: registers the mapped endpoints with the data source the document is generated from.
        app.UseEndpoints(_ => { });
        return OpenApiDocument(app.Services);
    }

    /// <summary>Every Local service whose methods carry HTTP annotations; the node maps them with its listener and policies.</summary>
    public static IReadOnlyList<GrpcServiceEndpointConventionBuilder> MapTranscoded(IEndpointRouteBuilder endpoints) =>
        [endpoints.MapGrpcService<LocalApiEndpoint>(), endpoints.MapGrpcService<EventsApi>(), endpoints.MapGrpcService<ApprovalsApi>()];
}
