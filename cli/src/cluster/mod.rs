//! The session cluster: a JobManager (REST API, jobs, scheduling onto slots) and
//! TaskManagers (slots, the jobs' worker processes), as processes on one machine or many.
//! A job's coordinator and workers are processes of the job's own binary, so a job that
//! fails takes nothing else with it.

pub mod api;
pub mod application;
pub mod home;
pub mod jobmanager;
pub mod jobs;
pub mod lifecycle;
pub mod protocol;
pub mod records;
pub mod recovery;
pub mod rest;
pub mod rest_metrics;
pub mod signals;
pub mod state;
pub mod taskmanager;
pub mod taskmanager_link;
pub mod tls;
pub mod web;
