using System.Reflection;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using KpNode.Diagnostics;
using KpNode.Wire;

namespace KpNode.Hosting;

/// <summary>
/// Binds every gRPC service as grpc-dotnet's own binder does, but with request deserializers that refuse bytes that
/// are not a valid message (a truncated varint, wire type 7, nesting past the limit, invalid UTF-8) with
/// INVALID_ARGUMENT and one short log line. grpc-dotnet reads the request before any interceptor runs, so an
/// exception from the generated parser otherwise becomes UNKNOWN and an Error with its whole stack.
/// </summary>
internal sealed class RefusedMessages<TService>(ILogger<RefusedMessages<TService>> logger) : IServiceMethodProvider<TService>
    where TService : class
{
    /// <summary>How much of a parser's reason is kept: its texts are short, but the detail goes to a partner and the log.</summary>
    public const int MaxReasonLength = 160;

    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context)
    {
        if (BindMethod() is not { } bind)
            return; // not a generated service: nothing to bind, as grpc-dotnet's binder does
        bind.Invoke(null, [new Binder(context, bind.GetParameters()[1].ParameterType, logger), null]);
    }

    // The generated base class carries [BindServiceMethod(typeof(Service), "BindService")].
    private static MethodInfo? BindMethod()
    {
        for (var type = typeof(TService); type is not null; type = type.BaseType)
        {
            if (type.GetCustomAttribute<BindServiceMethodAttribute>(inherit: false) is { } attribute)
            {
                return attribute.BindType.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
                    .FirstOrDefault(m => m.Name == attribute.BindMethodName && m.GetParameters() is [var first, _] && first.ParameterType == typeof(ServiceBinderBase));
            }
        }
        return null;
    }

    private sealed class Binder(ServiceMethodProviderContext<TService> context, Type declaringType, ILogger logger) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Model<UnaryServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(TRequest), typeof(ServerCallContext));
            context.AddUnaryMethod(Refusing(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Model<ServerStreamingServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(TRequest), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext));
            context.AddServerStreamingMethod(Refusing(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Model<ClientStreamingServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(ServerCallContext));
            context.AddClientStreamingMethod(Refusing(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Model<DuplexStreamingServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext));
            context.AddDuplexStreamingMethod(Refusing(method), metadata, invoker);
        }

        private Method<TRequest, TResponse> Refusing<TRequest, TResponse>(Method<TRequest, TResponse> method)
            where TRequest : class where TResponse : class
        {
            var inner = method.RequestMarshaller.ContextualDeserializer;
            var package = method.ServiceName[..(method.ServiceName.LastIndexOf('.') + 1)];
            var messageName = package + typeof(TRequest).Name;
            var marshaller = new Marshaller<TRequest>(method.RequestMarshaller.ContextualSerializer, request =>
            {
                try
                {
                    return inner(request);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Parsing is pure: whatever it throws means the bytes are not this message. No stack: it is the input, not us.
                    var reason = Short(e.Message);
                    Log.MalformedMessageRefused(logger, method.FullName, messageName, e.GetType().Name, reason);
                    throw ApiErrors.NotAValidMessage(messageName, reason);
                }
            });
            return new Method<TRequest, TResponse>(method.Type, method.ServiceName, method.Name, marshaller, method.ResponseMarshaller);
        }

        private static string Short(string text)
        {
            var printable = new string(text.Select(c => char.IsControl(c) ? ' ' : c).ToArray());
            return printable.Length <= MaxReasonLength ? printable : printable[..MaxReasonLength] + "…";
        }

        // As grpc-dotnet's ProviderServiceBinder: the override of the generated method, and the attributes (the
        // [Authorize] policies) of the class and the method as endpoint metadata.
        private (TDelegate Invoker, List<object> Metadata) Model<TDelegate>(string name, params Type[] parameters) where TDelegate : Delegate
        {
            var handler = Handler(name, parameters) ?? throw new InvalidOperationException($"Could not find '{name}' on {typeof(TService)}.");
            var metadata = new List<object>();
            metadata.AddRange(typeof(TService).GetCustomAttributes(inherit: true));
            metadata.AddRange(handler.GetCustomAttributes(inherit: true));
            metadata.Add(new HttpMethodMetadata(["POST"], acceptCorsPreflight: true));
            return ((TDelegate)Delegate.CreateDelegate(typeof(TDelegate), handler), metadata);
        }

        private MethodInfo? Handler(string name, Type[] parameters)
        {
            for (var type = typeof(TService); type is not null; type = type.BaseType)
            {
                var method = type.GetMethod(name, BindingFlags.Public | BindingFlags.Instance, binder: null, parameters, modifiers: null);
                if (method is null)
                    return null;
                if (method.IsVirtual && method.GetBaseDefinition().DeclaringType == declaringType)
                    return method;
            }
            return null;
        }
    }
}
