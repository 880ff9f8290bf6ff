# KpNode: build with the SDK image, run on the ASP.NET runtime image as a non-root user.
# .ci/run executes the same `dotnet publish` and starts the published binary, since CI has no Docker engine.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/KpNode/KpNode.csproj -c Release -o /app --no-self-contained

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
RUN ln -s /app/kpnode /usr/local/bin/kpnode && mkdir -p /data /config && chown -R app:app /data
# /config holds node.json and its pki/ folder (mounted read-only, readable by the app user, UID 1654);
# /data holds the LiteDB store whatever node.json says, so it always lands on the volume.
ENV KPNODE_Node__DataDirectory=/data
USER app
VOLUME ["/data", "/config"]
# Ports as the example configs use them (node-config/za.json); node.json decides:
#   7101  Peer API: partners' nodes connect here (mutual TLS). Publish it.
#   7102  Local API: the participant's own systems and operators (mutual TLS, operator certificates).
#   7103  Operations: Prometheus /metrics and the status page at /, plain HTTP. Bind it to 0.0.0.0 in
#         node.json (Node:Operations:Endpoint) only when the container network is private to your monitoring.
EXPOSE 7101 7102 7103
# The same check an operator runs: grpc.health.v1 over the Local API with the operator certificate.
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 CMD ["kpnode", "health", "--config", "/config/node.json"]
ENTRYPOINT ["kpnode"]
CMD ["run", "--config", "/config/node.json"]
