# A JSON writer that keeps every double to 17 significant digits (sprintf("%.17g")), so the
# reference numbers round-trip exactly; NA/NaN become null.  Sourced by the reference scripts.
json17 <- function(x) {
  if (is.null(x)) return("null")
  if (is.list(x)) {
    items <- vapply(x, json17, "")
    if (!is.null(names(x))) {
      return(paste0("{", paste0('"', names(x), '": ', items, collapse = ", "), "}"))
    }
    return(paste0("[", paste(items, collapse = ", "), "]"))
  }
  one <- function(v) {
    if (is.na(v)) return("null")
    if (is.logical(v)) return(if (v) "true" else "false")
    if (is.character(v)) return(paste0('"', gsub('"', '\\\\"', v), '"'))
    if (is.infinite(v)) return("null")
    sprintf("%.17g", v)
  }
  values <- vapply(as.vector(x), one, "")
  if (length(x) == 1 && is.null(attr(x, "array"))) return(values)
  paste0("[", paste(values, collapse = ", "), "]")
}
write_json17 <- function(x, path) writeLines(json17(x), path)
