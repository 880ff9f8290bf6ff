using Microsoft.Extensions.Options;

namespace KpNode.Configuration;

/// <summary>Binds each section of the node's configuration to its options class, validated when the node starts.</summary>
internal static class NodeOptionsRegistration
{
    public static IServiceCollection AddNodeOptions(this IServiceCollection services, NodeConfig config)
    {
        services.AddSingleton(config);
        services.AddOptions<NodeOptions>().Bind(config.Configuration.GetSection(ConfigKeys.Node))
            .PostConfigure(config.ResolvePaths).ValidateOnStart();
        services.AddOptions<DeliveryOptions>().Bind(config.Configuration.GetSection(ConfigKeys.Delivery)).ValidateOnStart();
        services.AddOptions<OperationsOptions>().Bind(config.Configuration.GetSection(ConfigKeys.Operations)).ValidateOnStart();
        services.AddOptions<TradePolicyOptions>().Bind(config.Configuration.GetSection(ConfigKeys.TradePolicy)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<NodeOptions>, NodeOptionsValidator>();
        services.AddSingleton<IValidateOptions<DeliveryOptions>, DeliveryOptionsValidator>();
        services.AddSingleton<IValidateOptions<OperationsOptions>, OperationsOptionsValidator>();
        services.AddSingleton<IValidateOptions<TradePolicyOptions>, TradePolicyOptionsValidator>();
        return services;
    }
}
