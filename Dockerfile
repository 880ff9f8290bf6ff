# KpNode: build with the SDK image, run on the ASP.NET runtime image as a non-root user.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/KpNode/KpNode.csproj -c Release -o /app --no-self-contained

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
RUN ln -s /app/kpnode /usr/local/bin/kpnode && mkdir -p /data /config && chown -R app:app /data
USER app
# /config holds node.json and the pki/ folder; /data the database (set Node:DataDirectory to /data).
VOLUME ["/data", "/config"]
# Peer API and Local API ports as set in node.json (the demo configs use 7101/7102).
EXPOSE 7101 7102
ENTRYPOINT ["kpnode"]
CMD ["run", "--config", "/config/node.json"]
