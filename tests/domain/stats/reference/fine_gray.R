# Fine-Gray subdistribution-hazard regression (cmprsk::crr) references (issue 15, gap 2).
# mgus2 (Kyle et al.): time in months to plasma-cell malignancy (event 1) with death (event 2)
# competing, 0 censored.  Fits:
#   sex             tests/reference/survival/mgus2_cr.csv, cov1 = male, failcode 1 and 2;
#   age_sex_hgb     mgus2_fg.csv (complete cases of age, sex, hgb), failcode 1;
#   years           the same with times in whole years (ceiling(months / 12)): heavy ties,
#                   also between failures, competing deaths and censorings.
# R 4.2.2, cmprsk 2.2.11:  Rscript fine_gray.R
suppressMessages({library(survival); library(cmprsk)})
source("json17.R")
cr <- read.csv("../../../reference/survival/mgus2_cr.csv")
m <- survival::mgus2
m$time <- ifelse(m$pstat == 0, m$futime, m$ptime)
m$event <- ifelse(m$pstat == 0, 2 * m$death, 1)
m <- m[complete.cases(m[, c("age", "sex", "hgb")]), ]
fg <- data.frame(id = m$id, time = m$time, event = m$event, age = m$age,
                 male = as.integer(m$sex == "M"), hgb = m$hgb)
write.csv(fg, "mgus2_fg.csv", row.names = FALSE)

iterations <- function(run) {
  # crr does not report its Newton iterations: the fewest maxiter at which it converges
  for (k in 0:10) if (run(k)$converged) return(k)
  NA
}
block <- function(time, status, cov1, failcode, label) {
  run <- function(k) crr(time, status, cov1, failcode = failcode, cencode = 0, maxiter = k,
                         variance = k == 10)
  fit <- run(10)
  s <- summary(fit)
  list(label = label, failcode = failcode, terms = colnames(cov1), n = fit$n,
       coef = unname(fit$coef), var = lapply(seq_len(nrow(fit$var)), function(i) fit$var[i, ]),
       se = unname(sqrt(diag(fit$var))), exp_coef = unname(s$coef[, "exp(coef)"]),
       z = unname(s$coef[, "z"]), p = unname(2 * pnorm(-abs(s$coef[, "z"]))),
       lower95 = unname(s$conf.int[, 3]), upper95 = unname(s$conf.int[, 4]),
       loglik = fit$loglik, loglik_null = fit$loglik.null, score = unname(fit$score),
       information = lapply(seq_len(nrow(fit$inf)), function(i) fit$inf[i, ]),
       converged = fit$converged, iterations = iterations(run),
       uftime = fit$uftime, bfitj = fit$bfitj)
}
male <- cbind(male = as.integer(cr$sex == "M"))
cov3 <- as.matrix(fg[, c("age", "male", "hgb")])
res <- list(
  r_call = "cmprsk::crr(ftime, fstatus, cov1, failcode, cencode = 0); summary(fit)",
  r_version = R.version.string, cmprsk = as.character(packageVersion("cmprsk")),
  sex_pcm = block(cr$time, cr$event, male, 1, "mgus2_cr.csv, PCM ~ male"),
  sex_death = block(cr$time, cr$event, male, 2, "mgus2_cr.csv, death ~ male"),
  age_sex_hgb = block(fg$time, fg$event, cov3, 1, "mgus2_fg.csv, PCM ~ age + male + hgb"),
  years = block(ceiling(fg$time / 12), fg$event, cov3, 1,
                "mgus2_fg.csv, years = ceiling(time / 12), PCM ~ age + male + hgb"))
write_json17(res, "fine_gray.json")
cat("ok\n")
