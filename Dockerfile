# A small image for schedulers: a static binary (no cgo) on distroless.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /contextualize ./cmd/contextualize

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /contextualize /usr/local/bin/contextualize
ENTRYPOINT ["/usr/local/bin/contextualize"]
