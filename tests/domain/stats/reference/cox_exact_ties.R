# Cox with exact ties (discrete logistic, R's coxexact) on heavily tied data (issue 15, gap 4).
# Two trials from one seeded generator (two arms 1:1, a normal covariate rounded to 3 decimals,
# exponential event times, median a year on control, HR 0.75 for arm, 1.2 per covariate unit,
# uniform 3-year accrual censoring plus 10%/year drop-out, four sites):
#   cox_ties_days.csv    3,000 subjects, times in whole days (many small tied blocks);
#   cox_ties_months.csv  2,000 subjects, times in whole months (over a hundred deaths a month).
# Plus lung (tests/reference/survival/lung.csv) with a covariate and strata.
# R 4.2.2, survival 3.5.3:  Rscript cox_exact_ties.R   (timings: best of 3 elapsed seconds)
suppressMessages(library(survival))
source("json17.R")
set.seed(20261204)
simulate <- function(n, unit) {
  arm <- rbinom(n, 1, 0.5)
  x <- round(rnorm(n), 3)
  site <- sample(1:4, n, replace = TRUE)
  rate <- log(2) / 365 * exp(log(0.75) * arm + log(1.2) * x)
  event_time <- rexp(n, rate)
  censor_time <- pmin(runif(n, 0, 3 * 365), rexp(n, 0.1 / 365))
  data.frame(time = ceiling(pmin(event_time, censor_time) / unit),
             status = as.integer(event_time <= censor_time), arm = arm, x = x, site = site)
}
days <- simulate(3000, 1)
months <- simulate(2000, 365.25 / 12)
write.csv(days, "cox_ties_days.csv", row.names = FALSE)
write.csv(months, "cox_ties_months.csv", row.names = FALSE)
lung <- read.csv("../../../reference/survival/lung.csv")

best_of_3 <- function(run) min(replicate(3, system.time(run())[["elapsed"]]))
block <- function(formula, d) {
  fit <- coxph(formula, data = d, ties = "exact")
  s <- summary(fit)
  list(formula = paste(deparse(formula), collapse = ""), terms = names(coef(fit)),
       coef = unname(coef(fit)), var = lapply(seq_len(nrow(fit$var)), function(i) fit$var[i, ]),
       se = unname(sqrt(diag(fit$var))), loglik_null = fit$loglik[1], loglik = fit$loglik[2],
       score_test = unname(s$sctest[1]), lr_test = unname(s$logtest[1]),
       iterations = fit$iter, n = fit$n, n_event = fit$nevent,
       max_deaths_one_time = max(table(d$time[d$status == 1])),
       elapsed_s = best_of_3(function() coxph(formula, data = d, ties = "exact")))
}
res <- list(
  r_call = "coxph(formula, data, ties = 'exact')",
  r_version = R.version.string, survival = as.character(packageVersion("survival")),
  days = block(Surv(time, status) ~ arm + x, days),
  days_strata = block(Surv(time, status) ~ arm + x + strata(site), days),
  months = block(Surv(time, status) ~ arm + x, months),
  months_strata = block(Surv(time, status) ~ arm + x + strata(site), months),
  lung = block(Surv(time, status) ~ group + age, lung),
  lung_strata = block(Surv(time, status) ~ group + age + strata(strata), lung))
write_json17(res, "cox_exact_ties.json")
cat("ok\n")
