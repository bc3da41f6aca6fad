// The entry point of the bundle the Go server serves at /sdk/tickwire.js,
// for pages without a bundler: the whole SDK (index.ts) and the protobuf-es
// runtime it carries, including what protoc-gen-es's generated code imports
// from "@bufbuild/protobuf/codegenv2". A game's own generated schemas can so
// share this module's runtime instead of loading a second copy: map both
// "@bufbuild/protobuf" and "@bufbuild/protobuf/codegenv2" to
// /sdk/tickwire.js (an import map, or a bundler's externals; web/README.md).
export * from "./index.js";
export { fileDesc, messageDesc, enumDesc, tsEnum, extDesc, serviceDesc } from "@bufbuild/protobuf/codegenv2";
