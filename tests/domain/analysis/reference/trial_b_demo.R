# R reference for the analysis of trial B's demo data (crlm-sbrt-sintilimab, demo seed 7, as of
# and cut-off 2025-06-30, scale 1, ITT set), subject level in trial_b_demo.csv.
# Run: Rscript trial_b_demo.R > trial_b_demo.json   (R 4.x, survival 3.5.3, jsonlite)
suppressMessages({library(survival); library(jsonlite)})
d <- read.csv("trial_b_demo.csv", stringsAsFactors = FALSE)
d$arm <- factor(d$arm, levels = c("chemo", "sbrt-chemo-sintilimab"))  # control first: HR = E vs C
month <- 30.4375
one <- function(days, event) {
  d$t <- days / month; d$e <- event
  km <- survfit(Surv(t, e) ~ arm, data = d, conf.type = "log-log")
  tab <- summary(km)$table
  lr <- survdiff(Surv(t, e) ~ arm, data = d)
  slr <- survdiff(Surv(t, e) ~ arm + strata(stratum), data = d)
  fit <- coxph(Surv(t, e) ~ arm, data = d)
  sfit <- coxph(Surv(t, e) ~ arm + strata(stratum), data = d)
  lm <- summary(km, times = c(6, 12), extend = TRUE)
  ci <- function(f) unname(summary(f)$conf.int[1, c(1, 3, 4)])
  list(median = unname(tab[, "median"]), median_lower = unname(tab[, "0.95LCL"]),
       median_upper = unname(tab[, "0.95UCL"]), events = unname(tab[, "events"]),
       logrank_chisq = lr$chisq, logrank_p = pchisq(lr$chisq, 1, lower.tail = FALSE),
       stratified_logrank_chisq = slr$chisq,
       stratified_logrank_p = pchisq(slr$chisq, 1, lower.tail = FALSE),
       hr = ci(fit), stratified_hr = ci(sfit), zph_p = cox.zph(fit)$table["GLOBAL", "p"],
       landmark_surv = lm$surv, landmark_lower = lm$lower, landmark_upper = lm$upper)
}
out <- list(arms = levels(d$arm), PFS = one(d$pfs_days, d$pfs_event), OS = one(d$os_days, d$os_event),
            r_version = R.version.string, survival = as.character(packageVersion("survival")))
cat(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE), "\n")
