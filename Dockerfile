# syntax=docker/dockerfile:1
#
# hookbench images for machines whose engine can pull base images.
#
#   docker build -t hookbench/registry .                          # the registry (default target)
#   docker build --target fake-endpoint -t hookbench/fake-endpoint .
#   docker run -p 5000:5000 -p 5001:5001 hookbench/registry
#
# Where no image can be pulled (the e2e machines), `make image` builds
# equivalent FROM scratch images from locally built static binaries instead
# (harness/runtime/docker.BuildImages); this file is not used there.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-alpine AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-trimpath
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -ldflags="-s -w" -o /out/ ./cmd/registry ./cmd/fake-endpoint

# Small final images: static binaries on a minimal base with CA certificates
# (webhook endpoints may be https).
FROM alpine:3 AS fake-endpoint
RUN apk add --no-cache ca-certificates
COPY --from=build /out/fake-endpoint /usr/local/bin/fake-endpoint
EXPOSE 8080 8081
ENTRYPOINT ["fake-endpoint"]
CMD ["--addr", ":8080", "--admin-addr", ":8081"]

FROM alpine:3 AS registry
RUN apk add --no-cache ca-certificates
COPY --from=build /out/registry /usr/local/bin/registry
COPY cmd/registry/config-dev.yml /etc/docker/registry/config.yml
VOLUME ["/var/lib/registry"]
# 5000: registry API; 5001: debug server (/debug/vars, /debug/health, /metrics)
EXPOSE 5000 5001
ENTRYPOINT ["registry"]
CMD ["serve", "/etc/docker/registry/config.yml"]
