#include "mcp_frontend/layer_tools/generation_schema.h"

#include <string>

namespace layer_vault::mcp::layer_tools {
namespace {

using nlohmann::json;

json Typed(const char* type, const char* description) {
  return {{"type", type}, {"description", description}};
}

json Number(const char* description, double minimum, double maximum) {
  return {{"type", "number"},
          {"minimum", minimum},
          {"maximum", maximum},
          {"description", description}};
}

json Id(const char* description) {
  return {{"type", "string"},
          {"pattern", "^[A-Za-z0-9_-]{1,128}$"},
          {"description", description}};
}

json EstimateProperties() {
  json p = json::object();
  p["model_id"] = Id("Model or trained style id (list_models).");
  p["prompt"] = {{"type", {"string", "null"}},
                 {"maxLength", 100000},
                 {"description", "What to generate."}};
  p["width"] = {{"type", {"integer", "null"}},
                {"minimum", 1},
                {"description", "Width in pixels (images, video)."}};
  p["height"] = {{"type", {"integer", "null"}},
                 {"minimum", 1},
                 {"description", "Height in pixels (images, video)."}};
  p["batch_size"] = {{"type", "integer"},
                     {"minimum", 1},
                     {"maximum", 16},
                     {"description",
                      "Number of outputs (variations); Layer.ai's default is "
                      "4, and the price grows with it."}};
  p["num_inference_steps"] = {{"type", "integer"},
                              {"minimum", 1},
                              {"description", "Diffusion steps."}};
  p["guidance_scale"] =
      Typed("number", "Classifier-free guidance: prompt adherence.");
  p["prompt_strength"] =
      Number("Image-to-image: how far to move from the init image.", 0, 1);
  p["quality"] = {{"type", "string"},
                  {"enum", {"low", "medium", "high"}},
                  {"description", "Quality tier; affects the price."}};
  p["sharpness"] = Typed("number", "Sharpness.");
  p["duration_seconds"] = {{"type", "number"},
                           {"minimum", 0},
                           {"description", "Video length in seconds."}};
  p["generate_audio"] = Typed("boolean", "Video: generate sound as well.");
  p["keep_audio"] = Typed("boolean", "Video: keep the input video's audio.");
  p["fps"] = {{"type", "integer"},
              {"minimum", 1},
              {"description", "Video frames per second, e.g. 25."}};
  p["video_effects"] = {
      {"type", "array"},
      {"maxItems", 20},
      {"description", "Video camera effects, e.g. {type: ORBIT_360}."},
      {"items",
       {{"type", "object"},
        {"additionalProperties", false},
        {"required", {"type"}},
        {"properties",
         {{"type", {{"type", "string"}, {"pattern", "^[A-Z0-9_]{1,64}$"}}},
          {"weight", {{"type", "number"}, {"minimum", 0}, {"maximum", 100}}}}}}}};
  p["use_ta_pose"] = Typed("boolean", "3D: T/A pose for characters.");
  p["include_textures"] = Typed("boolean", "3D: textured mesh.");
  p["quad_mesh"] = Typed("boolean", "3D: quad topology.");
  p["pbr_materials"] = Typed("boolean", "3D: PBR materials.");
  p["low_poly"] = Typed("boolean", "3D: low-poly mesh.");
  p["generate_parts"] = Typed("boolean", "3D: separate parts.");
  p["face_limit"] = {{"type", "integer"},
                     {"minimum", 1},
                     {"description", "3D: polygon budget."}};
  p["stability"] = Number("Voice: stability.", 0, 1);
  p["similarity_boost"] = Number("Voice: similarity boost.", 0, 1);
  p["style_exaggeration"] = Number("Voice: style exaggeration.", 0, 1);
  p["use_speaker_boost"] = Typed("boolean", "Voice: speaker boost.");
  p["speed"] = {{"type", "number"},
                {"minimum", 0},
                {"description", "Speech speed multiplier."}};
  p["upscale_ratio"] = Typed("number", "Upscaling factor, e.g. 2 or 4.");
  p["creativity"] = Typed("number", "Upscaling: creativity.");
  p["resemblance"] = Typed("number", "Upscaling: resemblance.");
  p["vectorize"] = Typed("boolean", "Post-process: vectorize.");
  p["remove_background"] = Typed("boolean", "Post-process: remove background.");
  p["reframe"] = Typed("boolean", "Post-process: reframe.");
  p["refill"] = Typed("boolean", "Post-process: outpaint transparent areas.");
  return p;
}

}  // namespace

json GenerationProperties(bool with_execute_only) {
  json p = EstimateProperties();
  if (!with_execute_only) return p;
  p["seed"] = {{"type", "integer"},
               {"minimum", -1},
               {"description", "Random seed; -1 for a random one."}};
  p["guidance_files"] = {
      {"type", "array"},
      {"maxItems", 20},
      {"description",
       "Reference files: file_id from upload_file or from an earlier "
       "output, and how to use it. Priced only at execution (the estimate "
       "does not include them)."},
      {"items",
       {{"type", "object"},
        {"additionalProperties", false},
        {"required", {"file_id", "type"}},
        {"properties",
         {{"file_id", Id("Layer.ai file id.")},
          {"type",
           {{"type", "string"},
            {"enum",
             {"init_image", "reference_image", "pose", "depth", "canny",
              "lineart", "scribble", "face", "first_frame", "last_frame",
              "init_video", "reference_video", "init_audio",
              "reference_audio", "init_mesh", "texture_image",
              "ip_adapter"}}}},
          {"weight",
           {{"type", "number"}, {"minimum", 0}, {"maximum", 2}}}}}}}};
  p["mask"] = {
      {"type", "object"},
      {"additionalProperties", false},
      {"description", "Inpainting/outpainting mask."},
      {"properties",
       {{"file_id", Id("Layer.ai file id of the mask image.")},
        {"for_transparency", {{"type", "boolean"}}},
        {"for_nontransparency", {{"type", "boolean"}}},
        {"edge_radius", {{"type", "number"}, {"minimum", 0}}}}}};
  p["session_name"] = {{"type", "string"},
                       {"minLength", 1},
                       {"maxLength", 255},
                       {"description", "Groups the outputs in Layer's app."}};
  return p;
}

json GenerationBody(const json& arguments, bool for_execute) {
  json body = json::object();
  if (!arguments.is_object()) return body;
  static const json* const kEstimate = new json(GenerationProperties(false));
  static const json* const kExecute = new json(GenerationProperties(true));
  for (const auto& [key, schema] : (for_execute ? kExecute : kEstimate)->items()) {
    (void)schema;
    const auto it = arguments.find(key);
    if (it != arguments.end()) body[key] = *it;
  }
  return body;
}

}  // namespace layer_vault::mcp::layer_tools
